import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@keyledger/event-store';
import type { AuditRecord } from '@keyledger/application';
import { auditRecordFields, principalFilterValue } from './audit-record';
import { storedDataJson } from './stored-event-json';
import { Projection } from './projection';
import { createAuditIndexes, dropAuditIndexes } from './audit-schema';

/**
 * The cross-key audit trail: every key event and every refused request, one row per event in log order.
 * Idempotent by position (INSERT OR IGNORE on the primary key) and rebuildable (reset empties it). A rebuild
 * loads the table without its secondary indexes and builds them once at the end.
 */
export class AuditProjection implements Projection {
  readonly name = 'audit';
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    this.statements = {
      insert: db.prepare('INSERT OR IGNORE INTO audit_records (position, key_id, type, time, principal, record) VALUES (?, ?, ?, ?, ?, ?)'),
      reset: db.prepare('DELETE FROM audit_records'),
    };
  }

  apply(event: RecordedEvent): void {
    const record = auditRecordFields(event);
    if (!record) return;
    this.statements.insert.run(record.position, record.keyId ?? null, record.type, Date.parse(record.time), principalFilterValue(record.principal) ?? null, auditRecordJson(record, event));
  }

  reset(): void {
    this.statements.reset.run();
  }

  beginRebuild(): void {
    dropAuditIndexes(this.db);
  }

  endRebuild(): void {
    createAuditIndexes(this.db);
  }
}

/**
 * The record as stored: JSON.stringify(record), except that the event's data, most of the record, is spliced in
 * as the JSON text the log stored when the event carries it (the same text: the store wrote JSON.stringify(data)).
 */
function auditRecordJson(fields: Omit<AuditRecord, 'data'>, event: RecordedEvent): string {
  const data = storedDataJson(event) ?? JSON.stringify(event.data);
  return `${JSON.stringify(fields).slice(0, -1)},"data":${data}}`;
}
