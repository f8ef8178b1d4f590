import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import type { JsonObject, RecordedEvent } from '@keyledger/event-store';
import { canonicalJson } from './canonical-json';
import { AuditEventTypes, DIGEST_STREAM_ID } from './audit-streams';
import { eventHash, LOG_HEAD_GENESIS, nextLogHead } from './event-chain';

/** The last event of a stream within a digest's range. */
export interface StreamHead {
  revision: number;
  eventHash: string;
}

/**
 * What a digest asserts about the log (CloudTrail's digest files, for an event log): the events with
 * `fromPosition < position <= toPosition`, how many there are, the log head after them, the head of every
 * stream they touched, and the previous digest, signed with Ed25519 by a key the store does not hold.
 */
export interface LogDigestBody {
  version: 1;
  /** Exclusive; the previous digest's toPosition (0 for the first digest). */
  fromPosition: number;
  /** Inclusive: the position of the last event covered. */
  toPosition: number;
  /** Events in the range. */
  eventCount: number;
  /** Events from the start of the log to toPosition (so a digest alone says how long the log was). */
  totalEventCount: number;
  /** The running hash over every event up to toPosition, in log order. */
  logHead: string;
  /** For every stream with events in the range: its last revision in the range and that event's hash. */
  streamHeads: Record<string, StreamHead>;
  /** digestHash of the previous digest; null for the first. */
  previousDigestHash: string | null;
  /** SHA-256 (hex) of the signing public key's SPKI DER. */
  publicKeyFingerprint: string;
  /** ISO-8601, from the service clock. */
  signedAt: string;
}

export interface LogDigest extends LogDigestBody {
  /** Ed25519 signature (base64) over the canonical JSON of the body. */
  signature: string;
}

const SIGNATURE_LABEL = 'keyledger:log-digest-signature:v1\n';
const DIGEST_HASH_LABEL = 'keyledger:log-digest:v1\n';

/** SHA-256 (hex) of a public key's SubjectPublicKeyInfo DER: how digests name the key that signed them. */
export function publicKeyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
}

const signedBytes = (body: LogDigestBody): Buffer => {
  const { signature: _notSigned, ...fields } = body as LogDigest;
  return Buffer.from(SIGNATURE_LABEL + canonicalJson(fields), 'utf8');
};

export function signDigest(body: LogDigestBody, privateKey: KeyObject): LogDigest {
  return { ...body, signature: sign(null, signedBytes(body), privateKey).toString('base64') };
}

export function digestSignatureValid(digest: LogDigest, publicKey: KeyObject): boolean {
  try {
    return verify(null, signedBytes(digest), publicKey, Buffer.from(digest.signature, 'base64'));
  } catch {
    return false;
  }
}

/** What the next digest's `previousDigestHash` names: the whole digest, signature included. */
export function digestHash(digest: LogDigest): string {
  return createHash('sha256').update(DIGEST_HASH_LABEL + canonicalJson(digest), 'utf8').digest('hex');
}

export const isDigestEvent = (event: Pick<RecordedEvent, 'streamId' | 'type'>): boolean =>
  event.streamId === DIGEST_STREAM_ID && event.type === AuditEventTypes.LogDigest;

export const digestOf = (event: { data: JsonObject }): LogDigest => event.data as unknown as LogDigest;

/** Where a digest range starts: after the previous digest, or at the beginning of the log. */
export interface DigestStart {
  fromPosition: number;
  logHead: string;
  totalEventCount: number;
}

export const LOG_START: DigestStart = { fromPosition: 0, logHead: LOG_HEAD_GENESIS, totalEventCount: 0 };

export const startAfter = (digest: LogDigest): DigestStart => ({
  fromPosition: digest.toPosition,
  logHead: digest.logHead,
  totalEventCount: digest.totalEventCount,
});

/** Folds the events of a range, in log order, into what the next digest signs. */
export class DigestAccumulator {
  private logHead: string;
  private lastPosition: number;
  private count = 0;
  private readonly heads = new Map<string, StreamHead>();

  constructor(private readonly start: DigestStart) {
    this.logHead = start.logHead;
    this.lastPosition = start.fromPosition;
  }

  add(event: RecordedEvent): void {
    if (event.position <= this.lastPosition) throw new RangeError(`event at position ${event.position} is not after ${this.lastPosition}`);
    const hash = eventHash(event);
    this.logHead = nextLogHead(this.logHead, hash);
    this.heads.set(event.streamId, { revision: event.revision, eventHash: hash });
    this.lastPosition = event.position;
    this.count++;
  }

  get eventCount(): number {
    return this.count;
  }

  body(previousDigestHash: string | null, publicKeyFingerprintHex: string, signedAt: string): LogDigestBody {
    const streamHeads = Object.fromEntries([...this.heads.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return {
      version: 1,
      fromPosition: this.start.fromPosition,
      toPosition: this.lastPosition,
      eventCount: this.count,
      totalEventCount: this.start.totalEventCount + this.count,
      logHead: this.logHead,
      streamHeads,
      previousDigestHash,
      publicKeyFingerprint: publicKeyFingerprintHex,
      signedAt,
    };
  }
}
