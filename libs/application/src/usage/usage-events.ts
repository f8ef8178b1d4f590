import { createHash } from 'node:crypto';
import { canonicalEncryptionContext } from '@keyledger/crypto';
import { toIso, type Principal } from '@keyledger/domain';
import type { KeyUseRecord, StoredUsageRecord } from '../ports/usage-log';
import { USAGE_EVENT_V2 } from './usage-batch';

/**
 * The usage log: who used which key, when, for what, with which outcome. Usage is not state, so it is kept out
 * of the key's stream (a key's revision never changes because it was used). Each service process appends to a
 * stream of its own, `kms-usage-<uuid per process start>`, so instances never contend; one event per batch, of the
 * type below (its payload: usage-batch.ts; readers also read the v1 events of older logs there).
 */
export const UsageEventTypes = {
  KeyUsageRecorded: USAGE_EVENT_V2,
} as const;

export const USAGE_STREAM_PREFIX = 'kms-usage-';

export const usageStreamId = (instance: string): string => `${USAGE_STREAM_PREFIX}${instance}`;
export const isUsageStream = (streamId: string): boolean => streamId.startsWith(USAGE_STREAM_PREFIX);

/**
 * One use of a key as a usage event holds it (once decoded: `usageRecordsOf`). Ids, names and times only: never plaintext,
 * ciphertext or the encryption context's values (the context is kept as a hash of its canonical form).
 */
export type UsageRecordData = Omit<StoredUsageRecord, 'cursor'> & {
  accountId: string;
  region: string;
};

/** SHA-256 (hex) of the context's canonical bytes (the AAD form); undefined for an absent or empty context. */
export function encryptionContextHash(context: Record<string, string> | undefined): string | undefined {
  if (!context || Object.keys(context).length === 0) return undefined;
  return createHash('sha256').update(canonicalEncryptionContext(context)).digest('hex');
}

/** A principal reduced to its known members (no accidental extra data from the caller's object), in key order. */
function principalOf(principal: Principal): Principal {
  const reduced: Partial<Principal> = {};
  if (principal.accessKeyId !== undefined) reduced.accessKeyId = principal.accessKeyId;
  reduced.accountId = principal.accountId;
  if (principal.invokedBy !== undefined) reduced.invokedBy = principal.invokedBy;
  reduced.type = principal.type;
  return reduced as Principal;
}

/**
 * The stored form of a use: pure, and the only place a KeyUseRecord becomes data. The encryption context is
 * replaced by its hash; optional members are left out rather than stored as null. Members are added in key order
 * (here and in the principal), so the chain hashes a batch of them with the canonical-JSON fast path; assigned one
 * by one, not spread in: this runs on every use, and the spreads cost twice the rest.
 */
export function toUsageRecordData(entry: KeyUseRecord): UsageRecordData {
  const contextHash = encryptionContextHash(entry.encryptionContext);
  const record: Partial<UsageRecordData> = { accountId: entry.accountId };
  if (contextHash !== undefined) record.encryptionContextHash = contextHash;
  if (entry.errorType !== undefined) record.errorType = entry.errorType;
  record.keyArn = entry.keyArn;
  record.keyId = entry.keyId;
  if (entry.keyMaterialId !== undefined) record.keyMaterialId = entry.keyMaterialId;
  record.operation = entry.operation;
  record.outcome = entry.outcome;
  record.principal = principalOf(entry.principal);
  record.region = entry.region;
  record.requestId = entry.requestId;
  record.time = toIso(entry.time);
  return record as UsageRecordData;
}
