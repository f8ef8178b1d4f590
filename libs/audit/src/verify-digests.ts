import type { KeyObject } from 'node:crypto';
import type { RecordedEvent } from '@keyledger/event-store';
import { digestHash, digestOf, digestSignatureValid, isDigestEvent, LogDigest, publicKeyFingerprint } from './log-digest';
import type { DigestSummary, VerificationProblem } from './verification-report';

/** A verified digest and where its claims must hold. */
export interface Checkpoint extends DigestSummary {
  digest: LogDigest;
}

/** First pass: every digest must be signed by a trusted key and link to the digest before it. */
export class DigestChainCheck {
  readonly problems: VerificationProblem[] = [];
  readonly valid: Checkpoint[] = [];
  private previous?: { digest: LogDigest; hash: string };
  private readonly keys: Map<string, KeyObject>;

  constructor(publicKeys: KeyObject[]) {
    this.keys = new Map(publicKeys.map((key) => [publicKeyFingerprint(key), key]));
  }

  add(event: RecordedEvent): void {
    const at = { position: event.position, streamId: event.streamId, revision: event.revision };
    const fail = (message: string): void => void this.problems.push({ kind: 'digest-invalid', ...at, message });
    if (!isDigestEvent(event)) return fail(`The digest stream holds an event of type ${event.type}.`);
    const digest = digestOf(event);
    const malformed = malformedDigest(digest, event.position);
    if (malformed) return fail(`Malformed digest: ${malformed}.`);
    const hash = digestHash(digest);
    const previous = this.previous;
    this.previous = { digest, hash };

    const key = this.keys.get(digest.publicKeyFingerprint);
    if (!key) return fail(`The digest is signed by a key that is not trusted (public key fingerprint ${digest.publicKeyFingerprint}).`);
    if (!digestSignatureValid(digest, key)) return fail('The digest signature does not verify: the digest was changed or forged.');
    // A signed digest's claims are trustworthy even if its link fails, so it still becomes a checkpoint.
    const expectedPrevious = previous?.hash ?? null;
    if (digest.previousDigestHash !== expectedPrevious) {
      fail(previous ? 'The digest does not link to the digest before it: a digest was removed, replaced or reordered.' : 'The first digest in the log links to an earlier digest that is missing.');
    } else if (previous && (digest.fromPosition !== previous.digest.toPosition || digest.totalEventCount !== previous.digest.totalEventCount + digest.eventCount)) {
      fail('The digest range does not continue where the previous digest ended.');
    }
    this.valid.push({ position: event.position, toPosition: digest.toPosition, signedAt: digest.signedAt, publicKeyFingerprint: digest.publicKeyFingerprint, hash, digest });
  }

  checkpoints(): Checkpoint[] {
    return [...this.valid].sort((a, b) => a.toPosition - b.toPosition || a.position - b.position);
  }
}

function malformedDigest(d: LogDigest, position: number): string | undefined {
  const integer = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  const hex = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
  if (d.version !== 1) return `unknown version ${String(d.version)}`;
  if (![d.fromPosition, d.toPosition, d.eventCount, d.totalEventCount].every(integer)) return 'positions and counts must be non-negative integers';
  if (d.toPosition < d.fromPosition || d.toPosition >= position) return `range (${d.fromPosition}, ${d.toPosition}] is impossible for a digest at position ${position}`;
  if (!hex(d.logHead) || !hex(d.publicKeyFingerprint) || !(d.previousDigestHash === null || hex(d.previousDigestHash))) return 'hashes must be 64 hex digits';
  if (typeof d.signature !== 'string' || typeof d.signedAt !== 'string') return 'signature and signedAt must be strings';
  if (typeof d.streamHeads !== 'object' || d.streamHeads === null) return 'streamHeads must be an object';
  return undefined;
}
