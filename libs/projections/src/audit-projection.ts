import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@keyledger/event-store';
import { principalFilterValue, toAuditRecord } from './audit-record';
import { Projection } from './projection';

/**
 * The cross-key audit trail: every key event and every refused request, one row per event in log order.
 * Idempotent by position (INSERT OR IGNORE on the primary key) and rebuildable (reset empties it).
 */
export class AuditProjection implements Projection {
  readonly name = 'audit';
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      insert: db.prepare(`INSERT OR IGNORE INTO audit_records (position, key_id, type, time, principal, record)
        VALUES (@position, @keyId, @type, @time, @principal, @record)`),
      reset: db.prepare('DELETE FROM audit_records'),
    };
  }

  apply(event: RecordedEvent): void {
    const record = toAuditRecord(event);
    if (!record) return;
    this.statements.insert.run({
      position: record.position,
      keyId: record.keyId ?? null,
      type: record.type,
      time: Date.parse(record.time),
      principal: principalFilterValue(record.principal) ?? null,
      record: JSON.stringify(record),
    });
  }

  reset(): void {
    this.statements.reset.run();
  }
}
