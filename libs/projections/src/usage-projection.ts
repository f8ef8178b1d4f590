import type Database from 'better-sqlite3';
import { isUsageEventType, isUsageStream } from '@keyledger/application';
import type { RecordedEvent } from '@keyledger/event-store';
import { Projection } from './projection';
import { encodeIndexRanges, groupUsageEvent } from './usage-groups';

/**
 * The usage log's read model: one row per group of records (usage-groups.ts) of every usage event
 * (`KeyUsageRecorded`, v1 or v2) in a `kms-usage-*` stream. Idempotent by (position, first index) with INSERT OR
 * IGNORE; reset empties it.
 */
export class UsageProjection implements Projection {
  readonly name = 'usage';
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      // Positional parameters: binding one object per row by name costs more.
      insert: db.prepare(`INSERT OR IGNORE INTO usage_groups
        (position, first_idx, last_idx, indexes, key_id, account_id, region, operation, principal, outcome, min_time, max_time)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      reset: db.prepare('DELETE FROM usage_groups'),
    };
  }

  apply(event: RecordedEvent): void {
    if (!isUsageStream(event.streamId) || !isUsageEventType(event.type)) return;
    for (const g of groupUsageEvent(event)) {
      const first = g.indexes[0];
      const last = g.indexes[g.indexes.length - 1];
      this.statements.insert.run(event.position, first, last, encodeIndexRanges(g.indexes), g.keyId, g.accountId, g.region, g.operation, g.principal, g.outcome, g.minTime, g.maxTime);
    }
  }

  reset(): void {
    this.statements.reset.run();
  }
}
