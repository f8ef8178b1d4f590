/**
 * The audit trail's own streams and event types, next to the key streams (`kms-key-<keyId>`) in the same log.
 *
 * - `kms-refusals-<keyId>`: refused requests that named a key (whether or not it exists or belongs to the
 *   caller); `kms-refusals-account-<accountId>` for refused requests whose key identifier names no key id.
 *   A stream per key keeps appends of different keys from contending, and keeps refusals out of the key's own
 *   stream so they never change its revision (REST ETag).
 * - `keyledger-audit-digests`: the signed digests, one stream for the whole log.
 */
export const AuditEventTypes = {
  RequestRefused: 'RequestRefused.v1',
  LogDigest: 'LogDigest.v1',
} as const;

export const REFUSAL_STREAM_PREFIX = 'kms-refusals-';
const ACCOUNT_REFUSALS = `${REFUSAL_STREAM_PREFIX}account-`;
export const DIGEST_STREAM_ID = 'keyledger-audit-digests';

export const refusalStreamForKey = (keyId: string): string => `${REFUSAL_STREAM_PREFIX}${keyId}`;
export const refusalStreamForAccount = (accountId: string): string => `${ACCOUNT_REFUSALS}${accountId}`;
export const isRefusalStream = (streamId: string): boolean => streamId.startsWith(REFUSAL_STREAM_PREFIX);

/** Streams the audit trail writes on its own (refusals, digests): they never change a key. */
export const isAuditStream = (streamId: string): boolean => isRefusalStream(streamId) || streamId === DIGEST_STREAM_ID;

/** Request parameters a refusal may record: names and plain values only, never tokens, material or ciphertext. */
export type RefusalParameters = Record<string, string | number | boolean>;

/** Payload of `RequestRefused.v1`. Who and when are in the metadata, like every event's. */
export interface RequestRefusedData {
  /** The API operation refused, e.g. `ImportKeyMaterial`. */
  operation: string;
  /** The key id the request named (from a key id or key ARN), when it named one. */
  keyId?: string;
  /** The key identifier exactly as the caller sent it (a key id, ARN or alias). */
  requestedKeyId?: string;
  /** Non-secret request parameters (wrapping algorithm, import token id, expiration model, ...). */
  parameters: RefusalParameters;
  /** The AWS error name and message returned to the caller. */
  errorType: string;
  errorMessage: string;
  /** The key stream's revision the refusal was decided against, when the key was read. */
  keyRevision?: number;
  /**
   * The account that owns the key the request named, when that key exists and belongs to another account than
   * the caller's: the owner's audit view lists the refusal too (who probed or misused its key). Never shown to
   * the caller, to whom the key is "not found".
   */
  keyAccountId?: string;
}
