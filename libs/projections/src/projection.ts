import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@keyledger/event-store';

/**
 * A read model fed from the global log. The runner applies events in batches, each batch in one transaction
 * together with the checkpoint update: `apply` runs for every event of the batch in order, then `flush` (if
 * any) writes what the projection kept in memory for the batch. Applying must be idempotent per position: a
 * crash mid-batch re-applies the whole batch, and applying an event already applied changes nothing.
 */
export interface Projection {
  readonly name: string;
  apply(event: RecordedEvent): void;
  /** Writes state folded in memory during the batch; runs in the batch's transaction after its last event. */
  flush?(): void;
  /** The batch's transaction was rolled back: forget what was kept in memory for it. */
  discard?(): void;
  /** Removes everything the projection wrote, for a rebuild from position 0. */
  reset(): void;
  /** A rebuild from position 0 starts (after reset): a bulk load may drop what it rebuilds cheaper at the end. */
  beginRebuild?(): void;
  /** The rebuild has caught up with the log (or stopped): restore what beginRebuild dropped. */
  endRebuild?(): void;
}

export type ProjectionFactory = (db: Database.Database) => Projection;
