import { EventStoreDbEventStore } from '@keyledger/event-store';
import { LoggedEvent } from './event-log';

/** Reads Keyledger's whole log from an EventStoreDB server through the adapter, as an auditor would. */
export async function readEventStoreDbLog(connectionString: string): Promise<LoggedEvent[]> {
  const store = new EventStoreDbEventStore({ connectionString });
  try {
    const events: LoggedEvent[] = [];
    for (let after = 0; ; ) {
      const page = await store.readAll({ after, maxCount: 1000 });
      if (page.length === 0) return events;
      for (const e of page) events.push({ streamId: e.streamId, revision: e.revision, position: e.position, type: e.type, data: e.data, metadata: e.metadata as LoggedEvent['metadata'] });
      after = page[page.length - 1].position;
    }
  } finally {
    await store.close();
  }
}
