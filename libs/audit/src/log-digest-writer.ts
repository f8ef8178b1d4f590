import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { NO_STREAM, WrongExpectedRevisionError, type EventStore, type JsonObject } from '@keyledger/event-store';
import { AuditEventTypes, DIGEST_STREAM_ID } from './audit-streams';
import { DigestAccumulator, digestHash, digestOf, digestSignatureValid, isDigestEvent, LOG_START, LogDigest, signDigest, startAfter } from './log-digest';
import type { AuditSigningKey } from './signing-key';

export interface SignedDigest {
  digest: LogDigest;
  hash: string;
  /** Position of the digest event in the log. */
  position: number;
}

export interface LogDigestWriterOptions {
  store: EventStore;
  signingKey: AuditSigningKey;
  /** Epoch milliseconds, for `signedAt` and the event's timestamp. */
  now: () => number;
  newId: () => string;
  /** Told when the last digest in the log does not verify with our key (someone changed it). */
  onWarning?: (message: string, details: Record<string, unknown>) => void;
}

/** Small pages: a usage batch can be tens of KiB, so a page of 1,000 events took over half a second to hash. */
const READ_PAGE = 20;
/** Hashing gives the event loop back at least this often (ms), so a digest never stalls requests for long. */
const SLICE_MS = 5;
const PRINCIPAL = { type: 'Service', invokedBy: 'keyledger-audit-digest' };

/**
 * Appends the next digest to `keyledger-audit-digests`: it covers every event after the previous digest up to
 * the log's head when called. Appends with the digest stream's revision like every other writer, so several
 * instances sharing one log never fork the digest chain: the loser of a race reloads and tries again later.
 */
export class LogDigestWriter {
  /** The last digest in the log; undefined until loaded (or after a conflict), null when there is none. */
  private last?: { digest: LogDigest; hash: string; revision: number } | null;

  constructor(private readonly options: LogDigestWriterOptions) {}

  /** How many positions the log has grown by since the last digest (an upper bound on the events). */
  async pendingPositions(): Promise<number> {
    const last = await this.loadLast();
    return (await this.options.store.headPosition()) - (last?.digest.toPosition ?? 0);
  }

  /** When the last digest was signed (epoch ms), if there is one. */
  async lastSignedAt(): Promise<number | undefined> {
    const last = await this.loadLast();
    return last ? Date.parse(last.digest.signedAt) : undefined;
  }

  /**
   * Signs and appends a digest up to the current head. Returns undefined when there is nothing new to sign
   * (digest events alone do not call for another digest) or when another writer appended a digest first.
   */
  async writeDigest(): Promise<SignedDigest | undefined> {
    const { store, signingKey } = this.options;
    const last = await this.loadLast();
    const start = last ? startAfter(last.digest) : LOG_START;
    const head = await store.headPosition();
    const accumulator = new DigestAccumulator(start);
    let newEvents = 0;
    let sliceStart = performance.now();
    for (let after = start.fromPosition; after < head; ) {
      const page = (await store.readAll({ after, maxCount: READ_PAGE })).filter((event) => event.position <= head);
      for (const event of page) {
        accumulator.add(event);
        if (!isDigestEvent(event)) newEvents++;
        if (performance.now() - sliceStart >= SLICE_MS) {
          await yieldToEventLoop();
          sliceStart = performance.now();
        }
      }
      if (page.length === 0) break;
      after = page[page.length - 1].position;
    }
    if (newEvents === 0) return undefined;

    const signedAt = new Date(this.options.now()).toISOString();
    const digest = signDigest(accumulator.body(last?.hash ?? null, signingKey.fingerprint, signedAt), signingKey.privateKey);
    const requestId = this.options.newId();
    const metadata = { principal: PRINCIPAL, requestId, correlationId: requestId, causationId: requestId, operation: 'SignLogDigest', timestamp: signedAt };
    try {
      const appended = await store.appendToStream(
        DIGEST_STREAM_ID,
        [{ type: AuditEventTypes.LogDigest, data: digest as unknown as JsonObject, metadata }],
        last?.revision ?? NO_STREAM,
      );
      const hash = digestHash(digest);
      this.last = { digest, hash, revision: appended.nextExpectedRevision };
      return { digest, hash, position: appended.position };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      this.last = undefined; // another instance signed first; continue from its digest next time
      return undefined;
    }
  }

  /**
   * The last digest before this writer stops: signs everything up to the head, trying again when another
   * instance's digest landed first (its digest may not cover what this instance appended), so a clean shutdown
   * leaves no unsigned tail. Undefined when there was nothing new to sign.
   */
  async writeFinalDigest(attempts = 3): Promise<SignedDigest | undefined> {
    for (let attempt = 0; attempt < attempts; attempt++) {
      const signed = await this.writeDigest();
      // Signed, or nothing new: `last` is known. After a lost race it is cleared, and the next attempt reloads it.
      if (signed || this.last !== undefined) return signed;
    }
    return undefined;
  }

  private async loadLast(): Promise<{ digest: LogDigest; hash: string; revision: number } | null> {
    if (this.last !== undefined) return this.last;
    const events = await this.options.store.readStream(DIGEST_STREAM_ID);
    const event = events[events.length - 1];
    if (!event) return (this.last = null);
    const digest = digestOf(event);
    if (!isDigestEvent(event) || !Number.isInteger(digest.toPosition) || typeof digest.logHead !== 'string') {
      throw new Error(`The last event of ${DIGEST_STREAM_ID} (position ${event.position}) is not a digest; digests cannot continue the chain.`);
    }
    if (digest.publicKeyFingerprint === this.options.signingKey.fingerprint && !digestSignatureValid(digest, this.options.signingKey.publicKey)) {
      this.options.onWarning?.('The last digest in the log does not verify with the signing key: it was changed. Run the verifier.', { position: event.position });
    }
    return (this.last = { digest, hash: digestHash(digest), revision: event.revision });
  }
}
