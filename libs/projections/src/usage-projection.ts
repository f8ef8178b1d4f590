import type Database from 'better-sqlite3';
import { isUsageStream, UsageEventTypes, type UsageRecordData } from '@keyledger/application';
import type { RecordedEvent } from '@keyledger/event-store';
import { principalFilterValue } from './audit-record';
import { Projection } from './projection';

const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** A stored record with what the table needs; malformed entries (never written by Keyledger) are skipped. */
function usableRecord(value: unknown): UsageRecordData | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const r = value as Partial<UsageRecordData>;
  const ok = isText(r.keyId) && isText(r.accountId) && isText(r.region) && isText(r.operation) && isText(r.time) && isText(r.outcome) && !Number.isNaN(Date.parse(r.time));
  return ok ? (r as UsageRecordData) : undefined;
}

/**
 * The usage log's read model: one row per record of every `KeyUsageRecorded.v1` event in a `kms-usage-*`
 * stream. Idempotent by (position, index within the batch) with INSERT OR IGNORE; reset empties it.
 */
export class UsageProjection implements Projection {
  readonly name = 'usage';
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      insert: db.prepare(`INSERT OR IGNORE INTO usage_records (position, idx, key_id, account_id, region, time, operation, principal, outcome, record)
        VALUES (@position, @idx, @keyId, @accountId, @region, @time, @operation, @principal, @outcome, @record)`),
      reset: db.prepare('DELETE FROM usage_records'),
    };
  }

  apply(event: RecordedEvent): void {
    if (event.type !== UsageEventTypes.KeyUsageRecorded || !isUsageStream(event.streamId)) return;
    const records = event.data.records;
    if (!Array.isArray(records)) return;
    records.forEach((value, idx) => {
      const record = usableRecord(value);
      if (!record) return;
      this.statements.insert.run({
        position: event.position,
        idx,
        keyId: record.keyId,
        accountId: record.accountId,
        region: record.region,
        time: Date.parse(record.time),
        operation: record.operation,
        principal: principalFilterValue(record.principal) ?? null,
        outcome: record.outcome,
        record: JSON.stringify(record),
      });
    });
  }

  reset(): void {
    this.statements.reset.run();
  }
}
