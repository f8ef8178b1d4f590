import type Database from 'better-sqlite3';
import type { StoredUsageRecord, UsageLog, UsagePage, UsageQuery, UsageRecordData } from '@keyledger/application';

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
  record: string;
}

function toStored(row: Row): StoredUsageRecord {
  const r = JSON.parse(row.record) as UsageRecordData;
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
 * region; filters combine with AND; pages follow log order (position, then index within the batch).
 */
export class SqliteUsageLog implements UsageLog {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly last: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.last = db.prepare(`SELECT position, idx, record FROM usage_records
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
    const records = rows.slice(0, limit).map(toStored);
    return rows.length > limit ? { records, next: records[records.length - 1].cursor } : { records };
  }

  async lastUse(scope: { accountId: string; region: string }, keyId: string): Promise<StoredUsageRecord | undefined> {
    const row = this.last.get(keyId, scope.accountId, scope.region) as Row | undefined;
    return row && toStored(row);
  }

  private statement(filters: string[]): Database.Statement {
    const sql = `SELECT position, idx, record FROM usage_records WHERE ${filters.join(' AND ')} ORDER BY position, idx LIMIT @limit`;
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }
}
