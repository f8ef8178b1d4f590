import type Database from 'better-sqlite3';
import { usageRecordsOf, type StoredUsageRecord, type UsageLog, type UsagePage, type UsageQuery, type UsageRecordData } from '@keyledger/application';
import { limitBy, type EventStore } from '@keyledger/event-store';

/** A page never holds more than this, whatever the caller asks for. */
export const MAX_USAGE_PAGE = 1000;

/** Cursors are opaque to clients; inside they are the record's (position, index within its batch). */
export const encodeUsageCursor = (position: number, idx: number): string => Buffer.from(`ku1:${position}:${idx}`).toString('base64url');

export function decodeUsageCursor(cursor: string): { position: number; idx: number } | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined;
  const match = /^ku1:(\d{1,15}):(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { position: Number(match[1]), idx: Number(match[2]) } : undefined;
}

interface Row {
  position: number;
  idx: number;
}

function toStored(row: Row, r: UsageRecordData): StoredUsageRecord {
  return {
    cursor: encodeUsageCursor(row.position, row.idx),
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

/**
 * The USAGE_LOG port over the usage projection's table. Every query is scoped to one key of one account and
 * region; filters combine with AND; pages follow log order (position, then index within the batch). The table
 * says where a use is; the record itself is read back from its batch in the log (one readEventsAt per page), as the
 * audit log does: a copy of every record in the read models cost the projection a third of its time per use.
 */
export class SqliteUsageLog implements UsageLog {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly last: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly log: Pick<EventStore, 'readEventsAt'>,
  ) {
    this.last = db.prepare(`SELECT position, idx FROM usage_records
      WHERE key_id = ? AND outcome = 'Succeeded' AND account_id = ? AND region = ?
      ORDER BY position DESC, idx DESC LIMIT 1`);
  }

  async query(query: UsageQuery): Promise<UsagePage | 'invalid-cursor'> {
    const after = query.after === undefined ? { position: 0, idx: -1 } : decodeUsageCursor(query.after);
    if (!after) return 'invalid-cursor';
    const limit = Math.min(Math.max(1, Math.floor(query.limit)), MAX_USAGE_PAGE);
    const filters = ['key_id = @keyId', 'account_id = @accountId', 'region = @region', '(position, idx) > (@afterPosition, @afterIdx)'];
    const params: Record<string, string | number> = {
      keyId: query.keyId,
      accountId: query.accountId,
      region: query.region,
      afterPosition: after.position,
      afterIdx: after.idx,
      limit: limit + 1,
    };
    const filter = (clause: string, name: string, value: string | number | undefined) => {
      if (value === undefined) return;
      filters.push(clause);
      params[name] = value;
    };
    filter('principal = @principal', 'principal', query.principal?.replace(/^service:/, ''));
    filter('operation = @operation', 'operation', query.operation);
    filter('time >= @from', 'from', query.from);
    filter('time < @to', 'to', query.to);
    // One extra row says whether there is a next page.
    const rows = this.statement(filters).all(params) as Row[];
    const page = rows.slice(0, limit);
    const records = await this.recordsAt(page);
    if (rows.length <= limit) return { records };
    const last = page[page.length - 1];
    return { records, next: encodeUsageCursor(last.position, last.idx) };
  }

  async lastUse(scope: { accountId: string; region: string }, keyId: string): Promise<StoredUsageRecord | undefined> {
    const row = this.last.get(keyId, scope.accountId, scope.region) as Row | undefined;
    return row && (await this.recordsAt([row]))[0];
  }

  /** The rows' records, from their batches in the log; a row whose batch the log no longer holds is left out. */
  private async recordsAt(rows: readonly Row[]): Promise<StoredUsageRecord[]> {
    const positions = [...new Set(rows.map((row) => row.position))];
    const batches = new Map<number, unknown[]>();
    for (const event of await this.log.readEventsAt(positions)) batches.set(event.position, usageRecordsOf(event) ?? []);
    return rows.flatMap((row) => {
      const record = batches.get(row.position)?.[row.idx];
      return record !== null && typeof record === 'object' ? [toStored(row, record as UsageRecordData)] : [];
    });
  }

  private statement(filters: string[]): Database.Statement {
    const sql = `SELECT position, idx FROM usage_records WHERE ${filters.join(' AND ')} ORDER BY position, idx ${limitBy('@limit')}`;
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }
}
