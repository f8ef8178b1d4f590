import { usageBatchV2Of, usageRecordsOf, type UsageRecordData } from '@keyledger/application';
import { principalFilterValue } from './audit-record';

/**
 * The records of one usage batch that the usage log's filters cannot tell apart: the same key, account, region,
 * operation, principal and outcome. The usage read model keeps one row per group, not per record: a batch is
 * mostly one client's calls on one key, so that is one row where it was sixty, and the rows were nine tenths of
 * what projecting a use cost. Which records a group holds, and their times, are read back from the batch.
 */
export interface UsageGroup {
  keyId: string;
  accountId: string;
  region: string;
  operation: string;
  /** principalFilterValue of the records' principal (null when it has none). */
  principal: string | null;
  outcome: string;
  /** Indexes within the batch, ascending. */
  indexes: number[];
  /** Earliest and latest record time, epoch ms. */
  minTime: number;
  maxTime: number;
}

const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';
const isPlainObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A record with what the read model needs, and its time; undefined for a malformed entry (never written by Keyledger). */
function usableUsageRecord(value: unknown): { record: UsageRecordData; time: number } | undefined {
  if (!isPlainObject(value)) return undefined;
  const r = value as Partial<UsageRecordData>;
  if (!(isText(r.keyId) && isText(r.accountId) && isText(r.region) && isText(r.operation) && isText(r.time) && isText(r.outcome))) return undefined;
  const time = Date.parse(r.time);
  return Number.isNaN(time) ? undefined : { record: r as UsageRecordData, time };
}

/** The groups of a batch's records, in order of their first record; malformed entries are in none. */
export function groupUsageRecords(records: readonly unknown[]): UsageGroup[] {
  const groups = new Map<string, UsageGroup>();
  records.forEach((value, idx) => {
    const usable = usableUsageRecord(value);
    if (!usable) return;
    const { record, time } = usable;
    const principal = principalFilterValue(record.principal) ?? null;
    // \u0000 cannot occur in any of these (ids, names and AWS operation names).
    const key = `${record.keyId}\u0000${record.accountId}\u0000${record.region}\u0000${record.operation}\u0000${principal}\u0000${record.outcome}`;
    let group = groups.get(key);
    if (!group) {
      const { keyId, accountId, region, operation, outcome } = record;
      groups.set(key, (group = { keyId, accountId, region, operation, principal, outcome, indexes: [], minTime: time, maxTime: time }));
    }
    addToGroup(group, idx, time);
  });
  return [...groups.values()];
}

function addToGroup(group: UsageGroup, idx: number, time: number): void {
  group.indexes.push(idx);
  if (time < group.minTime) group.minTime = time;
  if (time > group.maxTime) group.maxTime = time;
}

/**
 * The groups of a usage event's records (v1 or v2), as groupUsageRecords finds them. A v2 batch whose shared members
 * hold every member a group is told by (one client's calls on one key, the usual batch) is one group, found from each
 * record's own time alone; any other batch is grouped record by record, each rebuilt with the shared members first.
 */
export function groupUsageEvent(event: { type: string; data: unknown }): UsageGroup[] {
  const batch = usageBatchV2Of(event);
  return (batch && sharedGroup(batch)) || groupUsageRecords(usageRecordsOf(event) ?? []);
}

const GROUP_MEMBERS = ['keyId', 'accountId', 'region', 'operation', 'principal', 'outcome'] as const;

/** The batch's one group when its shared members decide every record's group; undefined when they do not. */
function sharedGroup({ shared, records }: { shared: Record<string, unknown>; records: unknown[] }): UsageGroup[] | undefined {
  const { keyId, accountId, region, operation, outcome } = shared;
  if (!(isText(keyId) && isText(accountId) && isText(region) && isText(operation) && isText(outcome))) return undefined;
  if (!Object.hasOwn(shared, 'principal') || Object.hasOwn(shared, 'time')) return undefined;
  const group: UsageGroup = { keyId, accountId, region, operation, outcome, principal: principalFilterValue(shared.principal as UsageRecordData['principal']) ?? null, indexes: [], minTime: Infinity, maxTime: -Infinity };
  for (let idx = 0; idx < records.length; idx++) {
    const own = records[idx];
    if (!isPlainObject(own)) continue;
    // A record's own member would override the shared one (usageRecordsOf): Keyledger never writes that.
    if (GROUP_MEMBERS.some((member) => Object.hasOwn(own, member))) return undefined;
    const time = isText(own.time) ? Date.parse(own.time) : NaN;
    if (!Number.isNaN(time)) addToGroup(group, idx, time);
  }
  return group.indexes.length > 0 ? [group] : [];
}

/** Ascending indexes as ranges, e.g. [0, 1, 2, 5, 7, 8] -> "0-2,5,7-8": a batch of one group is one range. */
export function encodeIndexRanges(indexes: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < indexes.length; ) {
    let j = i;
    while (j + 1 < indexes.length && indexes[j + 1] === indexes[j] + 1) j++;
    parts.push(i === j ? `${indexes[i]}` : `${indexes[i]}-${indexes[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The indexes of encodeIndexRanges' text, ascending; anything else gives none. */
export function decodeIndexRanges(text: string): number[] {
  const indexes: number[] = [];
  for (const part of text.split(',')) {
    const match = /^(\d{1,9})(?:-(\d{1,9}))?$/.exec(part);
    if (!match) return [];
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) return [];
    for (let idx = first; idx <= last; idx++) indexes.push(idx);
  }
  return indexes;
}
