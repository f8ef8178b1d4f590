import type { KeyObject } from 'node:crypto';
import type { ReadAllOptions, RecordedEvent } from '@keyledger/event-store';
import { DIGEST_STREAM_ID } from './audit-streams';
import type { DigestSummary, VerificationReport } from './verification-report';
import { Checkpoint, DigestChainCheck } from './verify-digests';
import { EventChainCheck } from './verify-events';

/** Anything that pages through the global log: every EventStore, or a read-only view of a data directory. */
export interface LogSource {
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Used, when present, to read the digest stream without a first pass over the whole log. */
  readStream?(streamId: string): Promise<RecordedEvent[]>;
}

export interface VerifyOptions {
  /** Public keys whose digests are trusted (several, to cover a key rotation). */
  publicKeys: KeyObject[];
  /**
   * digestHash values that must still be in the log (e.g. the last one a previous verification reported, or one
   * the service logged): the only way to notice that the end of the log was cut off together with its digests.
   */
  expectedDigestHashes?: string[];
  pageSize?: number;
  /** How many problems to report in detail (all are counted). Default 100. */
  maxProblems?: number;
}

/**
 * Verifies the whole log: recomputes every event's hash and every stream's chain of links, recomputes the log
 * head and checks it, the event counts and every stream head against each signed digest, and checks every
 * digest's signature and its link to the previous digest. Needs only the public key(s).
 *
 * The digests are read and checked first (so the pass over the events knows at which positions a digest's
 * claims must hold). Memory grows with the number of streams, not with the length of the log.
 */
export async function verifyAuditLog(source: LogSource, options: VerifyOptions): Promise<VerificationReport> {
  const pageSize = options.pageSize ?? 1000;
  const digests = new DigestChainCheck(options.publicKeys);
  const digestEvents = source.readStream
    ? await source.readStream(DIGEST_STREAM_ID)
    : await collect(readWholeLog(source, pageSize), (e) => e.streamId === DIGEST_STREAM_ID);
  for (const event of [...digestEvents].sort((a, b) => a.position - b.position)) digests.add(event);
  const lastDigest = digests.valid.reduce<Checkpoint | undefined>((last, d) => (!last || d.toPosition > last.toPosition ? d : last), undefined);

  const verifier = new EventChainCheck(digests.checkpoints(), lastDigest?.toPosition ?? 0);
  for await (const event of readWholeLog(source, pageSize)) verifier.add(event);
  verifier.finish();

  const problems = [...digests.problems, ...verifier.problems];
  const known = new Set(digests.valid.map((d) => d.hash));
  for (const expected of options.expectedDigestHashes ?? []) {
    if (!known.has(expected)) {
      problems.push({ kind: 'digest-missing', message: `The expected digest ${expected} is not in the log (or does not verify): the log was truncated or replaced.` });
    }
  }
  problems.sort((a, b) => (a.position ?? Infinity) - (b.position ?? Infinity));

  const undigested = verifier.undigested;
  const warnings: string[] = [];
  if (!lastDigest) {
    warnings.push('The log has no verified digest: only the per-stream links were checked, so events removed from the end of a stream or of the log, and reordering across streams, cannot be detected.');
  } else if (undigested > 0) {
    warnings.push(`${undigested} event(s) after position ${lastDigest.toPosition} are not covered by a digest yet: changes to the last event of a stream, and removal of events at the end, are detectable only once a digest covers them.`);
  }
  if (verifier.unchained > 0) warnings.push(`${verifier.unchained} event(s) predate the hash chain (no previousEventHash): they are protected by digests only.`);

  return {
    ok: problems.length === 0,
    eventCount: verifier.eventCount,
    streamCount: verifier.streamCount,
    digestCount: digests.valid.length,
    unchainedEventCount: verifier.unchained,
    headPosition: verifier.headPosition,
    logHead: verifier.logHead,
    lastDigest: lastDigest && summary(lastDigest),
    undigestedEventCount: undigested,
    firstProblem: problems[0],
    problems: problems.slice(0, options.maxProblems ?? 100),
    problemCount: problems.length,
    warnings,
  };
}

async function* readWholeLog(source: LogSource, pageSize: number): AsyncGenerator<RecordedEvent> {
  let after = 0;
  for (;;) {
    const page = await source.readAll({ after, maxCount: pageSize });
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1].position;
  }
}

async function collect(events: AsyncIterable<RecordedEvent>, keep: (event: RecordedEvent) => boolean): Promise<RecordedEvent[]> {
  const kept: RecordedEvent[] = [];
  for await (const event of events) if (keep(event)) kept.push(event);
  return kept;
}

const summary = ({ digest: _digest, ...rest }: Checkpoint): DigestSummary => rest;
