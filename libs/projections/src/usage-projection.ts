import type Database from 'better-sqlite3';
import { isUsageStream, usageRecordsOf, type UsageRecordData } from '@keyledger/application';
import type { RecordedEvent } from '@keyledger/event-store';
import { principalFilterValue } from './audit-record';
import { Projection } from './projection';

const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** A stored record with what the table needs, and its time; malformed entries (never written by Keyledger) are skipped. */
function usableRecord(value: unknown): { record: UsageRecordData; time: number } | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const r = value as Partial<UsageRecordData>;
  if (!(isText(r.keyId) && isText(r.accountId) && isText(r.region) && isText(r.operation) && isText(r.time) && isText(r.outcome))) return undefined;
  const time = Date.parse(r.time);
  return Number.isNaN(time) ? undefined : { record: r as UsageRecordData, time };
}

/**
 * The usage log's read model: one row per record of every usage event (`KeyUsageRecorded`, v1 or v2) in a
 * `kms-usage-*` stream. Idempotent by (position, index within the batch) with INSERT OR IGNORE; reset empties it.
 */
export class UsageProjection implements Projection {
  readonly name = 'usage';
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      // Positional parameters: binding one object per row by name costs more, on every use of every key.
      insert: db.prepare(`INSERT OR IGNORE INTO usage_records (position, idx, key_id, account_id, region, time, operation, principal, outcome)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      reset: db.prepare('DELETE FROM usage_records'),
    };
  }

  apply(event: RecordedEvent): void {
    if (!isUsageStream(event.streamId)) return;
    const records = usageRecordsOf(event);
    if (!records) return;
    records.forEach((value, idx) => {
      const usable = usableRecord(value);
      if (!usable) return;
      const { record, time } = usable;
      const principal = principalFilterValue(record.principal) ?? null;
      this.statements.insert.run(event.position, idx, record.keyId, record.accountId, record.region, time, record.operation, principal, record.outcome);
    });
  }

  reset(): void {
    this.statements.reset.run();
  }
}
