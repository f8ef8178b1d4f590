import type Database from 'better-sqlite3';
import type { RecordedEvent } from '@keyledger/event-store';

/**
 * A read model fed from the global log. `apply` runs inside the runner's transaction, together with the
 * checkpoint update, and must be idempotent: applying an event it has already seen changes nothing.
 */
export interface Projection {
  readonly name: string;
  apply(event: RecordedEvent): void;
  /** Removes everything the projection wrote, for a rebuild from position 0. */
  reset(): void;
}

export type ProjectionFactory = (db: Database.Database) => Projection;
