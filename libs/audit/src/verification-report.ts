/** What the verifier can find wrong, from the most local (one event) to the most global (the log's order). */
export type ProblemKind =
  /** The event's content no longer matches the hash its successor recorded, or a digest signed. */
  | 'event-modified'
  /** Revisions are missing from a stream, or the log has fewer events than a digest signed. */
  | 'event-missing'
  /** A stream or the log has events a digest did not sign. */
  | 'event-inserted'
  /** A stream's revisions are not in log order. */
  | 'event-out-of-order'
  /** An event has no previousEventHash although the log was chained before it (a stripped link). */
  | 'chain-link-missing'
  /** Every stream agrees with a digest, but the order of events across streams does not. */
  | 'log-order-changed'
  /** A digest that does not verify: bad signature, unknown key, malformed, or not linked to its predecessor. */
  | 'digest-invalid'
  /** A digest the caller expected is no longer in the log (the log was truncated or replaced). */
  | 'digest-missing';

export interface VerificationProblem {
  kind: ProblemKind;
  /** Global position of the event concerned (for removed events: where the gap shows). */
  position?: number;
  streamId?: string;
  revision?: number;
  message: string;
}

export interface DigestSummary {
  /** Position of the digest event itself. */
  position: number;
  toPosition: number;
  signedAt: string;
  publicKeyFingerprint: string;
  /** digestHash: give it to a later verification as an expected digest to detect truncation. */
  hash: string;
}

export interface VerificationReport {
  ok: boolean;
  eventCount: number;
  streamCount: number;
  /** Digests whose signature and link verified. */
  digestCount: number;
  /** Events written before the hash chain existed (no previousEventHash). */
  unchainedEventCount: number;
  headPosition: number;
  /** The log head recomputed over every event. */
  logHead: string;
  lastDigest?: DigestSummary;
  /** Events (other than digests) after the last digest: protected by their successors' links only, not yet by a signature. */
  undigestedEventCount: number;
  /** The problem at the earliest position (problems without a position come last). */
  firstProblem?: VerificationProblem;
  /** Problems in position order, at most `maxProblems`. */
  problems: VerificationProblem[];
  problemCount: number;
  /** Limits of what this verification could prove (no digest yet, unsigned tail, unchained events). */
  warnings: string[];
}
