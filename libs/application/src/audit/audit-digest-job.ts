import { Inject, Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { AuditSigningKey, LogDigestWriter, SignedDigest } from '@keyledger/audit';
import type { EventStore } from '@keyledger/event-store';
import { CLOCK, Clock, EVENT_STORE, ID_GENERATOR, IdGenerator } from '../ports';

export const AUDIT_DIGEST_OPTIONS = Symbol('AuditDigestOptions');

export interface AuditDigestOptions {
  signingKey: AuditSigningKey;
  /** A digest is signed at least this often while the log grows. */
  intervalMs: number;
  /** ...and as soon as the log has grown by this many events (0: by time only). */
  everyEvents: number;
}

/** How often the job looks at the log's head (it signs only when a digest is due). */
const CHECK_EVERY_MS = 1000;

/**
 * Signs a digest of the log every `intervalMs`, or every `everyEvents` events, whichever comes first. Safe to run
 * in several instances over one log: the digest stream's revision decides which instance's digest lands.
 * Scheduling follows the wall clock, not the service clock, so tests that move the service clock do not cause
 * digests; `signedAt` comes from the service clock like every event's timestamp.
 */
@Injectable()
export class AuditDigestJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditDigestJob.name);
  private readonly writer: LogDigestWriter;
  private timer?: NodeJS.Timeout;
  private running?: Promise<SignedDigest | undefined>;
  private lastAttemptAt = Date.now();

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(CLOCK) clock: Clock,
    @Inject(ID_GENERATOR) ids: IdGenerator,
    @Inject(AUDIT_DIGEST_OPTIONS) private readonly options: AuditDigestOptions,
  ) {
    this.writer = new LogDigestWriter({
      store,
      signingKey: options.signingKey,
      now: () => clock.now(),
      newId: () => ids.uuid(),
      onWarning: (msg, details) => this.logger.error({ msg, ...details }),
    });
  }

  onApplicationBootstrap(): void {
    this.lastAttemptAt = Date.now();
    this.timer = setInterval(() => void this.runOnce(), Math.min(this.options.intervalMs, CHECK_EVERY_MS));
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Signs a digest if one is due; overlapping runs are skipped. `force` signs whatever is new now. */
  async runOnce(force = false): Promise<SignedDigest | undefined> {
    if (this.running) return undefined;
    this.running = this.signIfDue(force).finally(() => (this.running = undefined));
    return this.running;
  }

  private async signIfDue(force: boolean): Promise<SignedDigest | undefined> {
    try {
      const pending = await this.writer.pendingPositions();
      if (pending <= 0) return undefined;
      const dueByCount = this.options.everyEvents > 0 && pending >= this.options.everyEvents;
      const dueByTime = Date.now() - this.lastAttemptAt >= this.options.intervalMs;
      if (!force && !dueByCount && !dueByTime) return undefined;
      this.lastAttemptAt = Date.now();
      const signed = await this.writer.writeDigest();
      if (signed) {
        // Also a copy outside the log: a digest hash kept elsewhere lets the verifier notice a truncated log.
        this.logger.log({ msg: 'audit digest signed', position: signed.position, toPosition: signed.digest.toPosition, eventCount: signed.digest.eventCount, digestHash: signed.hash });
      }
      return signed;
    } catch (error) {
      this.logger.error({ msg: 'signing the audit digest failed', error: (error as Error).message });
      return undefined;
    }
  }
}
