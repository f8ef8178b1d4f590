import type Database from 'better-sqlite3';
import { usageRecordsOf, type StoredUsageRecord, type UsageLog, type UsagePage, type UsageQuery, type UsageRecordData } from '@keyledger/application';
import { limitBy, type EventStore } from '@keyledger/event-store';
import { decodeIndexRanges } from './usage-groups';

/** A page never holds more than this, whatever the caller asks for. */
export const MAX_USAGE_PAGE = 1000;

/** Cursors are opaque to clients; inside they are the record's (position, index within its batch). */
export const encodeUsageCursor = (position: number, idx: number): string => Buffer.from(`ku1:${position}:${idx}`).toString('base64url');

export function decodeUsageCursor(cursor: string): { position: number; idx: number } | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined;
  const match = /^ku1:(\d{1,15}):(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { position: Number(match[1]), idx: Number(match[2]) } : undefined;
}

/** Where a use is in the log: the position of its batch and its index within it. */
interface Spot {
  position: number;
  idx: number;
}

interface GroupRow {
  position: number;
  first_idx: number;
  indexes: string;
}

function toStored(spot: Spot, r: UsageRecordData): StoredUsageRecord {
  return {
    cursor: encodeUsageCursor(spot.position, spot.idx),
    keyId: r.keyId,
    keyArn: r.keyArn,
    operation: r.operation,
    ...(r.keyMaterialId !== undefined && { keyMaterialId: r.keyMaterialId }),
    principal: r.principal,
    requestId: r.requestId,
    time: r.time,
    outcome: r.outcome,
    ...(r.errorType !== undefined && { errorType: r.errorType }),
    ...(r.encryptionContextHash !== undefined && { encryptionContextHash: r.encryptionContextHash }),
  };
}

/** After every index of a position. */
const PAST_BATCH = 2 ** 31;

/**
 * The USAGE_LOG port over the usage projection's table. Every query is scoped to one key of one account and
 * region; filters combine with AND; pages follow log order (position, then index within the batch). The table
 * holds groups of uses (usage-groups.ts) with where they are and their time span; the records are read back from
 * their batches in the log (one readEventsAt per round of groups), as the audit log does, and the time filter is
 * applied to each record there. A page always holds `limit` records when that many match: a record whose batch the
 * log no longer returns is left out and the page goes on past it.
 */
export class SqliteUsageLog implements UsageLog {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly last: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly log: Pick<EventStore, 'readEventsAt'>,
  ) {
    // The latest success is the last index of the latest successful group: groups of a batch are disjoint.
    this.last = db.prepare(`SELECT position, last_idx AS idx FROM usage_groups
      WHERE key_id = ? AND outcome = 'Succeeded' AND account_id = ? AND region = ?
      ORDER BY position DESC, last_idx DESC LIMIT 1`);
  }

  async query(query: UsageQuery): Promise<UsagePage | 'invalid-cursor'> {
    const after = query.after === undefined ? { position: 0, idx: -1 } : decodeUsageCursor(query.after);
    if (!after) return 'invalid-cursor';
    const limit = Math.min(Math.max(1, Math.floor(query.limit)), MAX_USAGE_PAGE);
    const filters = ['key_id = @keyId', 'account_id = @accountId', 'region = @region', '(position > @afterPosition OR (position = @afterPosition AND last_idx > @afterIdx))'];
    const params: Record<string, string | number> = { keyId: query.keyId, accountId: query.accountId, region: query.region };
    const filter = (clause: string, name: string, value: string | number | undefined) => {
      if (value === undefined) return;
      filters.push(clause);
      params[name] = value;
    };
    filter('principal = @principal', 'principal', query.principal?.replace(/^service:/, ''));
    filter('operation = @operation', 'operation', query.operation);
    // Groups whose span reaches into the window; each record's own time is checked when it is read back.
    filter('max_time >= @from', 'from', query.from);
    filter('min_time < @to', 'to', query.to);
    const inWindow = (time: string) => {
      const ms = Date.parse(time);
      return (query.from === undefined || ms >= query.from) && (query.to === undefined || ms < query.to);
    };
    // One extra record says whether there is a next page.
    const want = limit + 1;
    const records: StoredUsageRecord[] = [];
    let from: Spot = after;
    while (records.length < want) {
      const spots = this.spotsAfter(filters, params, from, want);
      if (spots.length === 0) break;
      // Whole batches, up to the one that holds the last spot still wanted.
      const read = spots[Math.min(want - records.length, spots.length) - 1].position;
      for (const record of await this.recordsAt(spots.filter((spot) => spot.position <= read))) {
        if (!inWindow(record.time)) continue;
        records.push(record);
        if (records.length === want) break;
      }
      from = { position: read, idx: PAST_BATCH };
    }
    const page = records.slice(0, limit);
    return records.length > limit ? { records: page, next: page[page.length - 1].cursor } : { records: page };
  }

  async lastUse(scope: { accountId: string; region: string }, keyId: string): Promise<StoredUsageRecord | undefined> {
    const spot = this.last.get(keyId, scope.accountId, scope.region) as Spot | undefined;
    return spot && (await this.recordsAt([spot]))[0];
  }

  /**
   * The uses of the next `groups` matching groups after `from`, in log order. The groups of the last position read
   * are all included (its uses can interleave with another group's), so every position returned is complete.
   */
  private spotsAfter(filters: string[], params: Record<string, string | number>, from: Spot, groups: number): Spot[] {
    const rows = this.statement(filters, true).all({ ...params, afterPosition: from.position, afterIdx: from.idx, limit: groups }) as GroupRow[];
    const last = rows[rows.length - 1];
    if (rows.length === groups) {
      const rest = this.statement([...filters, 'position = @lastPosition', 'first_idx > @lastFirst'], false);
      rows.push(...(rest.all({ ...params, afterPosition: from.position, afterIdx: from.idx, lastPosition: last.position, lastFirst: last.first_idx }) as GroupRow[]));
    }
    const spots: Spot[] = [];
    for (const row of rows) {
      for (const idx of decodeIndexRanges(row.indexes)) if (row.position > from.position || idx > from.idx) spots.push({ position: row.position, idx });
    }
    return spots.sort((a, b) => a.position - b.position || a.idx - b.idx);
  }

  /** The spots' records, from their batches in the log; a spot whose batch the log no longer holds is left out. */
  private async recordsAt(spots: readonly Spot[]): Promise<StoredUsageRecord[]> {
    const positions = [...new Set(spots.map((spot) => spot.position))];
    const batches = new Map<number, unknown[]>();
    for (const event of await this.log.readEventsAt(positions)) batches.set(event.position, usageRecordsOf(event) ?? []);
    return spots.flatMap((spot) => {
      const record = batches.get(spot.position)?.[spot.idx];
      return record !== null && typeof record === 'object' ? [toStored(spot, record as UsageRecordData)] : [];
    });
  }

  private statement(filters: string[], limited: boolean): Database.Statement {
    const sql = `SELECT position, first_idx, indexes FROM usage_groups WHERE ${filters.join(' AND ')} ORDER BY position, first_idx${limited ? ` ${limitBy('@limit')}` : ''}`;
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }
}
