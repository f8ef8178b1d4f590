import type Database from 'better-sqlite3';
import type { AuditLog, AuditPage, AuditQuery, AuditRecord } from '@keyledger/application';
import { limitBy, type EventStore } from '@keyledger/event-store';
import { toAuditRecord } from './audit-record';

/** A page never holds more than this, whatever the caller asks for. */
export const MAX_AUDIT_PAGE = 1000;

/**
 * The AUDIT_LOG port over the audit projection's index: filters combine with AND, pages follow position order.
 * A page's positions come from the index, its events from the log (one readEventsAt), made into records by the
 * same toAuditRecord the CLI uses.
 */
export class SqliteAuditLog implements AuditLog {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly log: Pick<EventStore, 'readEventsAt'>,
  ) {}

  async query(query: AuditQuery): Promise<AuditPage> {
    const limit = Math.min(Math.max(1, Math.floor(query.limit)), MAX_AUDIT_PAGE);
    const filters: string[] = ['position > @after'];
    const params: Record<string, string | number> = { after: query.afterPosition ?? 0, limit: limit + 1 };
    const filter = (clause: string, name: string, value: string | number | undefined) => {
      if (value === undefined) return;
      filters.push(clause);
      params[name] = value;
    };
    filter('key_id = @keyId', 'keyId', query.keyId);
    // A type without its version (`KeyDisabled`) means every version of it, as the CLI's --type reads it. Only a
    // plain name takes that path, so nothing a caller sends is read as a GLOB pattern.
    if (query.type !== undefined && /^[A-Za-z][A-Za-z0-9]*$/.test(query.type)) filter("(type = @type OR type GLOB @type || '.v[0-9]*')", 'type', query.type);
    else filter('type = @type', 'type', query.type);
    filter('principal = @principal', 'principal', query.principal?.replace(/^service:/, ''));
    filter('time >= @from', 'from', query.from);
    filter('time < @to', 'to', query.to);
    // One extra row says whether there is a next page.
    const positions = this.statement(filters).all(params) as number[];
    const page = positions.slice(0, limit);
    const records = (await this.log.readEventsAt(page)).map(toAuditRecord).filter((record): record is AuditRecord => record !== undefined);
    return { records, nextAfterPosition: positions.length > limit ? page[page.length - 1] : undefined };
  }

  private statement(filters: string[]): Database.Statement {
    const sql = `SELECT position FROM audit_entries WHERE ${filters.join(' AND ')} ORDER BY position ${limitBy('@limit')}`;
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql).pluck()));
    return statement;
  }
}
