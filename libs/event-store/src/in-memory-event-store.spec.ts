import { InMemoryEventStore } from './in-memory-event-store';
import { describeEventStoreContract } from './testing';

describeEventStoreContract('InMemoryEventStore', async () => ({
  store: new InMemoryEventStore(),
  cleanup: async () => undefined,
}));
