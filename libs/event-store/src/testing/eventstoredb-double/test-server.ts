/// <reference types="jest" />
import { randomUUID } from 'node:crypto';
import { startEventStoreDbDouble, type EventStoreDbDouble, type EventStoreDbDoubleOptions } from './index';

/**
 * Set to a real server's connection string (e.g. `esdb://localhost:2113?tls=false`) to run the EventStoreDB
 * specs against it instead of the double; see docs/eventstoredb.md for the Docker command.
 */
export const REAL_EVENTSTORE_URL = process.env.KEYLEDGER_TEST_EVENTSTORE_URL || undefined;

export interface TestEventStoreDb {
  connectionString: string;
  /** The double, or undefined when the specs run against a real server. */
  double?: EventStoreDbDouble;
  stop(): Promise<void>;
}

/** The real server when KEYLEDGER_TEST_EVENTSTORE_URL is set, otherwise a fresh double. */
export async function startTestEventStoreDb(options?: EventStoreDbDoubleOptions): Promise<TestEventStoreDb> {
  if (REAL_EVENTSTORE_URL) return { connectionString: REAL_EVENTSTORE_URL, stop: async () => undefined };
  const double = await startEventStoreDbDouble(options);
  return { connectionString: double.connectionString, double, stop: () => double.stop() };
}

/** For tests that need the double's controls (dropping subscriptions, scavenging, the Append-only path). */
export const itWithDouble: jest.It = REAL_EVENTSTORE_URL ? it.skip : it;

const RUN_ID = randomUUID().slice(0, 8);
let streamPrefixCount = 0;

/** A stream prefix no earlier run used, so a real server's existing data never interferes. */
export function uniqueStreamPrefix(label: string): string {
  streamPrefixCount += 1;
  return `kltest-${label}-${RUN_ID}-${streamPrefixCount}-`;
}
