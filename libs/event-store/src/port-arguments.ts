/**
 * Argument checks shared by every adapter, so that they all reject bad calls the same way
 * (the contract suite relies on it).
 */
import { NO_STREAM, type ExpectedRevision, type NewEvent, type ReadAllOptions, type ReadStreamOptions } from './event-store.port';

export const DEFAULT_READ_ALL_MAX_COUNT = 1000;

export function assertValidAppend(streamId: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): void {
  if (typeof streamId !== 'string' || streamId.length === 0) {
    throw new TypeError('streamId must be a non-empty string');
  }
  if (!Array.isArray(events) || events.length === 0) {
    throw new RangeError(`Cannot append an empty batch to stream '${streamId}'`);
  }
  if (!Number.isSafeInteger(expectedRevision) || expectedRevision < NO_STREAM) {
    throw new RangeError(`expectedRevision must be an integer >= ${NO_STREAM}, got ${expectedRevision}`);
  }
  for (const event of events) {
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new TypeError(`Every event appended to '${streamId}' needs a non-empty type`);
    }
    if (!isJsonObject(event.data) || !isJsonObject(event.metadata)) {
      throw new TypeError(`Event '${event.type}' on '${streamId}': data and metadata must be JSON objects`);
    }
  }
}

export function resolveReadAllOptions(options: ReadAllOptions = {}): Required<ReadAllOptions> {
  const { after = 0, maxCount = DEFAULT_READ_ALL_MAX_COUNT } = options;
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new RangeError(`readAll 'after' must be an integer >= 0, got ${after}`);
  }
  if (!Number.isSafeInteger(maxCount) || maxCount < 1) {
    throw new RangeError(`readAll 'maxCount' must be a positive integer, got ${maxCount}`);
  }
  return { after, maxCount };
}

/** `maxCount` is Infinity when not given: the rest of the stream. */
export function resolveReadStreamOptions(options: ReadStreamOptions = {}): { fromRevision: number; maxCount: number } {
  const { fromRevision = 0, maxCount = Infinity } = options;
  if (!Number.isSafeInteger(fromRevision) || fromRevision < 0) {
    throw new RangeError(`readStream 'fromRevision' must be an integer >= 0, got ${fromRevision}`);
  }
  if (maxCount !== Infinity && (!Number.isSafeInteger(maxCount) || maxCount < 1)) {
    throw new RangeError(`readStream 'maxCount' must be a positive integer, got ${maxCount}`);
  }
  return { fromRevision, maxCount };
}

function isJsonObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** readEventsAt's positions, each once and ascending; anything not a position (not an integer >= 1) is a RangeError. */
export function resolvePositions(positions: readonly number[]): number[] {
  for (const position of positions) {
    if (!Number.isSafeInteger(position) || position < 1) throw new RangeError(`readEventsAt positions must be integers >= 1, got ${position}`);
  }
  return [...new Set(positions)].sort((a, b) => a - b);
}
