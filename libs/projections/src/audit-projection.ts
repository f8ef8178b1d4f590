import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@keyledger/event-store';
import { auditIndexEntry } from './audit-record';
import { Projection } from './projection';
import { createAuditIndexes, dropAuditIndexes } from './audit-schema';

/**
 * The cross-key audit trail's index: every key and alias event and every refused request, one row per event in
 * log order, with what the trail is filtered by. The events stay in the log (read back by SqliteAuditLog), so a
 * replay writes a few small columns per event rather than a second copy of the log. Idempotent by position
 * (INSERT OR IGNORE on the primary key) and rebuildable (reset empties it). A rebuild loads the table without its
 * secondary indexes and builds them once at the end.
 */
export class AuditProjection implements Projection {
  readonly name = 'audit';
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    this.statements = {
      insert: db.prepare('INSERT OR IGNORE INTO audit_entries (position, key_id, type, time, principal) VALUES (?, ?, ?, ?, ?)'),
      reset: db.prepare('DELETE FROM audit_entries'),
    };
  }

  apply(event: RecordedEvent): void {
    const entry = auditIndexEntry(event);
    if (entry) this.statements.insert.run(event.position, entry.keyId ?? null, event.type, entry.time, entry.principal ?? null);
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
