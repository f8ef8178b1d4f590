import type Database from 'better-sqlite3';
import { evolve, initialState, keyIdFromStreamId, KeyState } from '@keyledger/domain';
import type { RecordedEvent } from '@keyledger/event-store';
import { toKeyEvent } from '@keyledger/application';
import { Projection } from './projection';

interface Folded {
  state: KeyState;
  lastPosition: number;
  /** Position of the event that created the row, when the row is new in this batch. */
  createdPosition: number;
  dirty: boolean;
}

export interface KeyProjectionOptions {
  /**
   * During a rebuild, keeps up to this many folded keys in memory across batches, written when the rebuild ends
   * or the limit is reached: a key whose events are spread over a long log is then written about once, not once
   * per batch it appears in. For an offline replay only: in the service a batch's keys must be in the table when
   * its checkpoint commits (queries and read-your-writes read them). A failed batch ends such a replay (the
   * runner stops), so the held keys its rollback forgets are never missed. Default 0: every batch writes its keys.
   */
  heldAcrossBatches?: number;
}

/**
 * One row per key with the key's folded state (the same `evolve` the write side uses), plus the schedule of
 * material expiries the expiry job reads. Each row remembers the position of the last event that changed it.
 *
 * Within a batch, states are folded in memory: a key's row is read (and parsed) at most once per batch, and
 * written once at its end (`flush`), however many of its events the batch holds.
 */
export class KeyProjection implements Projection {
  readonly name = 'keys';
  private readonly statements;
  private readonly folded = new Map<string, Folded>();
  /** Set between beginRebuild and endRebuild when keys are held across batches. */
  private holding = false;

  constructor(
    private readonly db: Database.Database,
    private readonly options: KeyProjectionOptions = {},
  ) {
    this.statements = {
      find: db.prepare('SELECT state, last_position AS lastPosition, created_position AS createdPosition FROM key_summaries WHERE key_id = ?'),
      upsert: db.prepare(`INSERT INTO key_summaries (key_id, account_id, region, arn, created_position, state, last_position, deleted, deletion_due, rotation_due)
        VALUES (@keyId, @accountId, @region, @arn, @createdPosition, @state, @position, @deleted, @deletionDue, @rotationDue)
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
    if (!keyId) return;
    const event = toKeyEvent(recorded);
    if (!event) return;
    const folded = this.folded.get(keyId) ?? this.load(keyId);
    if (folded && folded.lastPosition >= recorded.position) return;
    const state = evolve(folded ? folded.state : initialState(), event);
    // An event that changes nothing (ImportParametersIssued) leaves the row as it is, its last position included:
    // applying it again changes nothing either, and a replay may skip such events without a difference.
    if (!state.key || state === folded?.state) return;
    this.folded.set(keyId, { state, lastPosition: recorded.position, createdPosition: folded?.createdPosition ?? recorded.position, dirty: true });
  }

  flush(): void {
    if (this.holding && this.folded.size < this.options.heldAcrossBatches!) return;
    for (const [keyId, folded] of this.folded) {
      if (folded.dirty) this.write(keyId, folded);
    }
    this.folded.clear();
  }

  discard(): void {
    this.folded.clear();
  }

  beginRebuild(): void {
    this.holding = (this.options.heldAcrossBatches ?? 0) > 0;
  }

  endRebuild(): void {
    this.holding = false;
    this.flush();
  }

  reset(): void {
    this.folded.clear();
    this.statements.resetKeys.run();
    this.statements.resetSchedule.run();
  }

  /** The stored row, remembered for the rest of the batch (also when there is none, as undefined). */
  private load(keyId: string): Folded | undefined {
    const row = this.statements.find.get(keyId) as { state: string; lastPosition: number; createdPosition: number } | undefined;
    if (!row) return undefined;
    const folded = { state: JSON.parse(row.state) as KeyState, lastPosition: row.lastPosition, createdPosition: row.createdPosition, dirty: false };
    this.folded.set(keyId, folded);
    return folded;
  }

  private write(keyId: string, { state, lastPosition, createdPosition }: Folded): void {
    const key = state.key!;
    this.statements.upsert.run({
      keyId,
      accountId: key.accountId,
      region: key.region,
      arn: key.arn,
      createdPosition,
      position: lastPosition,
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
