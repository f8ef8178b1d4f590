/**
 * How a batch of usage records is stored in the log: `KeyUsageRecorded.v2` keeps each member that every record of
 * the batch has in common (the key, its ARN, account, region, material, principal, operation, outcome) once, in
 * `shared`, and in each record only what differs (its request id and time, at least). A batch of one client's
 * Encrypt calls is about a fifth of its `KeyUsageRecorded.v1` size (every member in every record), and that is what
 * the hash chain, the store and every reader of the log handle per use. v1 events, written before v2, stay readable:
 * every reader goes through `usageRecordsOf`, which gives the records of either version in the same form.
 *
 * Pure and dependency-free, so the CLI reads the log with it without loading the service.
 */
export const USAGE_EVENT_V1 = 'KeyUsageRecorded.v1';
export const USAGE_EVENT_V2 = 'KeyUsageRecorded.v2';

/** The members of a stored usage record, in key order (the order records are built and hashed in). */
const MEMBERS = [
  'accountId',
  'encryptionContextHash',
  'errorType',
  'keyArn',
  'keyId',
  'keyMaterialId',
  'operation',
  'outcome',
  'principal',
  'region',
  'requestId',
  'time',
] as const;
/** Members that may be shared: a request's id and time differ from use to use by nature. */
const SHAREABLE = MEMBERS.filter((m) => m !== 'requestId' && m !== 'time');

type Member = (typeof MEMBERS)[number];
type StoredRecord = Partial<Record<Member, unknown>>;

export interface UsageBatchData {
  /** Each record's own members (those not in `shared`), in key order. */
  records: StoredRecord[];
  /** The members every record has with the same value, in key order. */
  shared: StoredRecord;
}

export const isUsageEventType = (type: string): boolean => type === USAGE_EVENT_V2 || type === USAGE_EVENT_V1;

/** Equal stored values: strings, or flat objects of strings (a principal). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  return ak.every((k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k]);
}

/** The v2 payload of a batch of records (each built in key order, as toUsageRecordData builds them). */
export function encodeUsageBatch(records: readonly object[]): UsageBatchData {
  const all = records as readonly StoredRecord[];
  const first = all[0] ?? {};
  const shared: StoredRecord = {};
  for (const member of SHAREABLE) {
    const value = first[member];
    if (value !== undefined && all.every((r) => sameValue(r[member], value))) shared[member] = value;
  }
  const own = all.map((r) => {
    const rest: StoredRecord = {};
    for (const member of MEMBERS) if (!Object.hasOwn(shared, member) && r[member] !== undefined) rest[member] = r[member];
    return rest;
  });
  return { records: own, shared };
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The records of a usage event, each as one object with all its members in key order, whichever version wrote
 * it; undefined for any other event. Entries that are not objects are passed through for the caller to skip (a
 * reader checks every record: the log may hold what Keyledger never wrote).
 */
export function usageRecordsOf(event: { type: string; data: unknown }): unknown[] | undefined {
  if (!isUsageEventType(event.type)) return undefined;
  if (!isObject(event.data) || !Array.isArray(event.data.records)) return [];
  if (event.type === USAGE_EVENT_V1) return event.data.records;
  const { shared, records } = usageBatchV2Of(event)!;
  return records.map((own: unknown) => {
    if (!isObject(own)) return own;
    const record: Record<string, unknown> = {};
    for (const member of MEMBERS) {
      const value = Object.hasOwn(own, member) ? own[member] : shared[member];
      if (value !== undefined) record[member] = value;
    }
    return record;
  });
}

/**
 * A v2 event's payload as stored: the shared members (none when `shared` is missing or not an object) and each
 * record's own members, unchecked; undefined for any other event or a payload without a records array. For readers
 * that can use the shared members without rebuilding every record (usageRecordsOf does that).
 */
export function usageBatchV2Of(event: { type: string; data: unknown }): { shared: Record<string, unknown>; records: unknown[] } | undefined {
  if (event.type !== USAGE_EVENT_V2 || !isObject(event.data) || !Array.isArray(event.data.records)) return undefined;
  return { shared: isObject(event.data.shared) ? event.data.shared : {}, records: event.data.records };
}

/** How many records a usage event holds (v1 or v2), without decoding them. */
export const usageRecordCount = (event: { data: unknown }): number =>
  isObject(event.data) && Array.isArray(event.data.records) ? event.data.records.length : 0;
