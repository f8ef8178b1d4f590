import type { Principal } from '@keyledger/domain';

export const USAGE_RECORDER = Symbol('UsageRecorder');
export const USAGE_LOG = Symbol('UsageLog');

/**
 * One cryptographic use of a key (or a refused attempt): who, when, which operation, which material. Never the
 * plaintext, the ciphertext or the encryption context's values: the context is only kept as a hash.
 */
export interface KeyUseRecord {
  keyId: string;
  keyArn: string;
  accountId: string;
  region: string;
  /** The AWS operation, e.g. 'Decrypt'. */
  operation: string;
  keyMaterialId?: string;
  principal: Principal;
  requestId: string;
  /** Epoch milliseconds (the service clock). */
  time: number;
  outcome: 'Succeeded' | 'Refused';
  /** For refusals: the AWS error name returned. */
  errorType?: string;
  /** Handed to the recorder, which keeps only a hash of its canonical form. */
  encryptionContext?: Record<string, string>;
}

/** Takes usage records off the hot path: `record` never waits for storage; records are written in batches. */
export interface UsageRecorder {
  record(entry: KeyUseRecord): void;
  /** Writes whatever is buffered and resolves once it is in the log (and the read models include it). */
  flush(): Promise<void>;
}

/** A usage record as stored and queried. */
export interface StoredUsageRecord {
  /** Opaque, increasing cursor (position in the log and index within its batch). */
  cursor: string;
  keyId: string;
  keyArn: string;
  operation: string;
  keyMaterialId?: string;
  principal: Principal;
  requestId: string;
  /** ISO-8601. */
  time: string;
  outcome: 'Succeeded' | 'Refused';
  errorType?: string;
  /** SHA-256 (hex) of the canonical encryption context, when one was given. */
  encryptionContextHash?: string;
}

export interface UsageQuery {
  accountId: string;
  region: string;
  keyId: string;
  /** Access key id of the principal. */
  principal?: string;
  operation?: string;
  /** Inclusive lower bound, epoch ms. */
  from?: number;
  /** Exclusive upper bound, epoch ms. */
  to?: number;
  /** Records after this cursor (exclusive). */
  after?: string;
  limit: number;
}

export interface UsagePage {
  records: StoredUsageRecord[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: string;
}

/** The usage read model (fed by the checkpointed subscription like every read model). */
export interface UsageLog {
  query(query: UsageQuery): Promise<UsagePage | 'invalid-cursor'>;
  /** The most recent successful use of the key, if any. */
  lastUse(scope: { accountId: string; region: string }, keyId: string): Promise<StoredUsageRecord | undefined>;
}
