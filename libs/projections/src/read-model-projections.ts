import type Database from 'better-sqlite3';
import { AliasProjection } from './alias-projection';
import { AuditProjection } from './audit-projection';
import { KeyProjection, KeyProjectionOptions } from './key-projection';
import { Projection } from './projection';
import { UsageProjection } from './usage-projection';

/**
 * Every projection kept in the read-models database, for the service and for offline replays alike: they
 * share one checkpoint, so a projection missing from either list would never see the events before it.
 */
export function readModelProjections(db: Database.Database, options: { keys?: KeyProjectionOptions } = {}): Projection[] {
  return [new KeyProjection(db, options.keys), new AliasProjection(db), new AuditProjection(db), new UsageProjection(db)];
}
