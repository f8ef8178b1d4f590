import type { JsonObject, RecordedEvent } from './event-store.port';

/** A row of the SQLite `events` table (sqlite-schema.ts), as better-sqlite3 returns it. */
export interface SqliteEventRow {
  position: number;
  stream_id: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
  recorded_at: number;
}

/** The one mapping from a stored row to a port event, for the adapter and for read-only tools alike. */
export function recordedEventFromRow(row: SqliteEventRow): RecordedEvent {
  return {
    streamId: row.stream_id,
    revision: row.revision,
    position: row.position,
    type: row.type,
    data: JSON.parse(row.data) as JsonObject,
    metadata: JSON.parse(row.metadata) as JsonObject,
    recordedAt: row.recorded_at,
  };
}
