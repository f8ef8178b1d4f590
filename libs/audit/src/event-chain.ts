import { createHash } from 'node:crypto';
import type { JsonObject } from '@keyledger/event-store';
import { canonicalJson } from './canonical-json';

/**
 * The per-stream hash chain. Every event's metadata carries `previousEventHash`: the hash of the event before it
 * in the same stream, or null for a stream's first event. An event's hash covers where it sits (stream and
 * revision) and everything it says (type, data, metadata, including its own link), so changing, removing,
 * inserting or reordering an event breaks the link its successor recorded.
 *
 * Not covered: `position` and `recordedAt`, which the store assigns at commit time. Log order is covered by the
 * log head in the signed digests instead (see log-digest.ts).
 */
export const PREVIOUS_EVENT_HASH = 'previousEventHash';

/** The fields an event hash covers: what the writer knows before the store assigns a position. */
export interface ChainedEventContent {
  streamId: string;
  revision: number;
  type: string;
  data: JsonObject;
  metadata: JsonObject;
}

const EVENT_HASH_LABEL = 'keyledger:event:v1\n';

/** SHA-256 (hex) of the event's canonical JSON, with a label so it can never collide with another hash here. */
export function eventHash(event: ChainedEventContent): string {
  const { streamId, revision, type, data, metadata } = event;
  // In key order, so a payload already in canonical form is written by the fast path.
  return sha256Hex(EVENT_HASH_LABEL + canonicalJson({ data, metadata, revision, streamId, type }));
}

/**
 * The link an event recorded: a hash, null for "first in its stream", or undefined for an event written before
 * the chain existed (or whose link was stripped).
 */
export function recordedPreviousHash(event: { metadata: JsonObject }): string | null | undefined {
  if (!Object.hasOwn(event.metadata, PREVIOUS_EVENT_HASH)) return undefined;
  const value = event.metadata[PREVIOUS_EVENT_HASH];
  return typeof value === 'string' ? value : value === null ? null : String(value);
}

/** Metadata with the link to the previous event of the stream set (any link the caller supplied is replaced). */
export function withPreviousEventHash(metadata: JsonObject, previousHash: string | null): JsonObject {
  const { [PREVIOUS_EVENT_HASH]: _ignored, ...rest } = metadata;
  return { ...rest, [PREVIOUS_EVENT_HASH]: previousHash };
}

/**
 * The log head: a running hash over every event's hash in log (position) order. The digests sign it, so the
 * order of events across streams, and events removed from the end of a stream, are covered too.
 */
export const LOG_HEAD_GENESIS = '0'.repeat(64);

export function nextLogHead(logHead: string, eventHashHex: string): string {
  return createHash('sha256').update(Buffer.from(logHead, 'hex')).update(Buffer.from(eventHashHex, 'hex')).digest('hex');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
