import type Database from 'better-sqlite3';
import { evolve, initialState, keyIdFromStreamId, KeyState } from '@keyledger/domain';
import type { RecordedEvent } from '@keyledger/event-store';
import { toKeyEvent } from '@keyledger/application';
import { Projection } from './projection';

/**
 * One row per key with the key's folded state (the same `evolve` the write side uses), plus the schedule of
 * material expiries the expiry job reads. Each row remembers the last position applied to it.
 */
export class KeyProjection implements Projection {
  readonly name = 'keys';
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    this.statements = {
      find: db.prepare('SELECT state, last_position AS lastPosition FROM key_summaries WHERE key_id = ?'),
      upsert: db.prepare(`INSERT INTO key_summaries (key_id, account_id, region, arn, created_position, state, last_position, deleted, deletion_due, rotation_due)
        VALUES (@keyId, @accountId, @region, @arn, @position, @state, @position, @deleted, @deletionDue, @rotationDue)
        ON CONFLICT (key_id) DO UPDATE SET state = excluded.state, last_position = excluded.last_position,
          deleted = excluded.deleted, deletion_due = excluded.deletion_due, rotation_due = excluded.rotation_due`),
      clearSchedule: db.prepare('DELETE FROM material_expiry_schedule WHERE key_id = ?'),
      schedule: db.prepare('INSERT INTO material_expiry_schedule (key_id, key_material_id, valid_to) VALUES (?, ?, ?)'),
      resetKeys: db.prepare('DELETE FROM key_summaries'),
      resetSchedule: db.prepare('DELETE FROM material_expiry_schedule'),
    };
  }

  apply(recorded: RecordedEvent): void {
    const keyId = keyIdFromStreamId(recorded.streamId);
    const event = toKeyEvent(recorded);
    if (!keyId || !event) return;
    const row = this.statements.find.get(keyId) as { state: string; lastPosition: number } | undefined;
    if (row && row.lastPosition >= recorded.position) return;
    const state = evolve(row ? (JSON.parse(row.state) as KeyState) : initialState(), event);
    if (!state.key) return;
    this.statements.upsert.run({
      keyId,
      accountId: state.key.accountId,
      region: state.key.region,
      arn: state.key.arn,
      position: recorded.position,
      state: JSON.stringify(state),
      ...maintenanceColumns(state),
    });
    this.statements.clearSchedule.run(keyId);
    for (const m of state.materials) {
      if (m.importState === 'IMPORTED' && m.expirationModel === 'KEY_MATERIAL_EXPIRES' && m.validTo !== undefined) {
        this.statements.schedule.run(keyId, m.keyMaterialId, m.validTo);
      }
    }
  }

  reset(): void {
    this.statements.resetKeys.run();
    this.statements.resetSchedule.run();
  }
}

/**
 * What the maintenance job looks for: a deletion date for keys pending deletion, the next automatic rotation
 * for keys whose rotation is on (the job re-checks each key's state before acting), and deleted keys.
 */
function maintenanceColumns(state: KeyState): { deleted: number; deletionDue: number | null; rotationDue: number | null } {
  const deleted = state.deletedAt !== undefined;
  return {
    deleted: deleted ? 1 : 0,
    deletionDue: !deleted && state.deletion ? state.deletion.deletionDate : null,
    rotationDue: !deleted && !state.deletion && state.rotation ? state.rotation.nextRotationDate : null,
  };
}
