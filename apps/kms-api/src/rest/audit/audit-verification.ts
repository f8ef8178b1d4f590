import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_DIGEST_OPTIONS, type AuditDigestOptions, EVENT_STORE } from '@keyledger/application';
import { LogSource, verifyAuditLog, type VerificationProblem, type VerificationReport } from '@keyledger/audit';
import type { EventStore, RecordedEvent } from '@keyledger/event-store';

/**
 * Events per read while verifying. Small, with the event loop given back before every read: verification hashes
 * the whole log, and a page of large events (usage batches) takes tens of milliseconds to hash.
 */
const VERIFY_PAGE = 20;

/** A problem as one account may see it: events of other accounts are counted, never described. */
export interface ScopedProblem {
  kind: VerificationProblem['kind'];
  position?: number;
  message: string;
  /** Set only when the event concerned belongs to the caller's account. */
  event?: { streamId: string; revision?: number; keyId?: string; type?: string; time?: string };
}

export interface ScopedVerification {
  report: VerificationReport;
  firstProblem?: ScopedProblem;
  problems: ScopedProblem[];
}

/**
 * Runs libs/audit's verifier over the service's own log with the public half of the key the service signs
 * digests with, so the console can show the log's tamper evidence. Concurrent callers share one run (it reads the
 * whole log). This proves the log consistent with the service's current key; `keyledger verify` with a public key
 * kept elsewhere (and every older key after a rotation) remains the independent check.
 */
@Injectable()
export class AuditVerification {
  private running?: Promise<VerificationReport>;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(AUDIT_DIGEST_OPTIONS) private readonly digests: AuditDigestOptions,
  ) {}

  get publicKeyFingerprint(): string {
    return this.digests.signingKey.fingerprint;
  }

  async verifyFor(accountId: string): Promise<ScopedVerification> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    const report = await this.running;
    const problems = await Promise.all(report.problems.map((p) => this.scope(p, accountId)));
    return { report, problems, firstProblem: problems[0] };
  }

  /** The log up to its head when the run starts: events appended meanwhile are left for the next run. */
  private async run(): Promise<VerificationReport> {
    const head = await this.store.headPosition();
    const upToHead = (events: RecordedEvent[]) => events.filter((e) => e.position <= head);
    const source: LogSource = {
      readAll: async (options) => {
        await yieldToEventLoop(); // requests are served between pages
        return upToHead(await this.store.readAll(options));
      },
      readStream: async (streamId) => upToHead(await this.store.readStream(streamId)),
    };
    return verifyAuditLog(source, { publicKeys: [this.digests.signingKey.publicKey], pageSize: VERIFY_PAGE });
  }

  /** Describes the event concerned only if its stream (or, without one, the event) belongs to the caller's account. */
  private async scope(problem: VerificationProblem, accountId: string): Promise<ScopedProblem> {
    const { kind, position, streamId, revision } = problem;
    const stream = streamId === undefined ? [] : await this.store.readStream(streamId);
    const event =
      stream.find((e) => e.revision === revision) ??
      stream.find((e) => e.position === position) ??
      (position === undefined ? undefined : (await this.store.readAll({ after: position - 1, maxCount: 1 })).find((e) => e.position === position));
    const owner = stream[0] ?? event;
    if (owner && belongsTo(owner, accountId)) {
      const at = event ?? { streamId: owner.streamId, revision, type: undefined, metadata: {}, data: {} };
      return {
        kind,
        position,
        message: problem.message,
        event: { streamId: at.streamId, revision: at.revision, keyId: keyIdOf(owner), type: at.type, time: timeOf(at.metadata) },
      };
    }
    // Digest-wide problems concern the whole log; an event of another account is only located, never described.
    const wholeLog = kind === 'digest-invalid' || kind === 'digest-missing' || (streamId === undefined && kind !== 'event-modified');
    return { kind, position, message: wholeLog ? problem.message : 'An event outside this account fails verification.' };
  }
}

const KEY_STREAM = /^kms-key-(.+)$/;
const keyIdOf = (event: RecordedEvent): string | undefined =>
  KEY_STREAM.exec(event.streamId)?.[1] ?? (typeof event.data.keyId === 'string' ? event.data.keyId : undefined);
const timeOf = (metadata: RecordedEvent['metadata']): string | undefined => (typeof metadata.timestamp === 'string' ? metadata.timestamp : undefined);

/** An event is the caller's when its metadata names the caller's account (refusals: or the refused key's account). */
function belongsTo(event: RecordedEvent, accountId: string): boolean {
  if (event.metadata.accountId === accountId) return true;
  return event.data.keyAccountId === accountId;
}
