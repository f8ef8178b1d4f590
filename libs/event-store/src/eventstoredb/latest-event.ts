import type { EventStoreDBClient, ResolvedEvent } from '@eventstore/db-client';

import { readUnbounded, type PageReader } from './all-stream-scan';
import { dbClient } from './db-client';

export type LatestEvent = NonNullable<ResolvedEvent['event']>;

/** The last readable event of a stream; undefined if the stream does not exist or is (soft-)deleted. */
export async function readLatestEvent(
  client: EventStoreDBClient,
  streamName: string,
  readPage: PageReader = readUnbounded,
): Promise<LatestEvent | undefined> {
  const { BACKWARDS, END, StreamNotFoundError } = dbClient();
  try {
    const [latest] = await readPage('readStream', () => client.readStream(streamName, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }));
    return latest?.event;
  } catch (error) {
    if (error instanceof StreamNotFoundError) return undefined;
    throw error;
  }
}

/**
 * Sets `$maxCount: 1` on a stream that has no metadata yet, so a scavenge keeps only its latest event.
 * Creating the metadata stream with NO_STREAM never overwrites metadata someone else already set.
 */
export async function keepOnlyLatestEvent(
  client: EventStoreDBClient,
  streamName: string,
  run: <T>(what: string, call: () => Promise<T>) => Promise<T> = (_what, call) => call(),
): Promise<void> {
  const { ErrorType, isCommandError, NO_STREAM } = dbClient();
  try {
    await run('setStreamMetadata', () => client.setStreamMetadata(streamName, { maxCount: 1 }, { expectedRevision: NO_STREAM }));
  } catch (error) {
    if (!(error instanceof Error && isCommandError(error) && error.type === ErrorType.WRONG_EXPECTED_VERSION)) throw error;
  }
}
