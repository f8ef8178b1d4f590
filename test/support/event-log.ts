import Database from 'better-sqlite3';
import { join } from 'node:path';

export interface LoggedEvent {
  streamId: string;
  revision: number;
  position: number;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, any>;
}

/** Reads a data directory's event log directly (read-only), as an auditor with the database file would. */
export function readEventLog(dataDir: string, streamId?: string): LoggedEvent[] {
  const db = new Database(join(dataDir, 'events.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(`SELECT * FROM events ${streamId ? 'WHERE stream_id = ?' : ''} ORDER BY position`)
      .all(...(streamId ? [streamId] : [])) as Array<Record<string, any>>;
    return rows.map((r) => ({
      streamId: r.stream_id,
      revision: r.revision,
      position: r.position,
      type: r.type,
      data: JSON.parse(r.data),
      metadata: JSON.parse(r.metadata),
    }));
  } finally {
    db.close();
  }
}

export async function eventually<T>(probe: () => Promise<T> | T, accept: (value: T) => boolean, timeoutMs = 10000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every event except the usage log's: what changed keys and aliases (a use is recorded, but changes nothing). */
export const readChanges = (dataDir: string): LoggedEvent[] => readEventLog(dataDir).filter((e) => !e.streamId.startsWith('kms-usage-'));
