import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyAbortedError, BodyTooLargeError, readBoundedBody } from '../http-limits/bounded-body';
import { findJsonStructureViolation, MAX_JSON_DEPTH } from '../http-limits/json-structure';
import { AwsProtocolError, serializationError } from './aws-protocol-error';
import { memberTooLong } from './aws-validation';

/** Large enough for the largest KMS request (6 KiB blobs base64-encoded, an 8 KiB description, a 32 KiB policy). */
export const MAX_BODY_BYTES = 256 * 1024;

export const bodyTooLarge = (maxBytes = MAX_BODY_BYTES) =>
  new AwsProtocolError('RequestEntityTooLargeException', `The request body exceeds the maximum of ${maxBytes} bytes.`, 413);

/**
 * Reads the body's exact bytes (they are what the request signature covers), refusing oversized bodies while
 * reading: by Content-Length before reading anything, or as soon as a chunked body passes the limit. The rest of
 * an oversized upload is never read; the 413 is sent with `Connection: close` (http-limits/bounded-body.ts).
 */
export async function readBody(request: IncomingMessage, response: ServerResponse, maxBytes = MAX_BODY_BYTES): Promise<Buffer> {
  try {
    return await readBoundedBody(request, maxBytes, response);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw bodyTooLarge(maxBytes);
    // Nobody is left to read an answer; a client error rather than an internal one all the same.
    if (error instanceof BodyAbortedError) throw serializationError(error.message);
    throw error;
  }
}

/**
 * Refuses JSON text nested too deep or with too many entries in one list or map, with one linear scan of the
 * raw text and before JSON.parse (so a body nested 100,000 deep costs a dozen characters, not a parser's stack).
 *
 * Too deep is a SerializationException: no KMS shape nests beyond 3 levels, so such a document cannot be
 * deserialized into any operation's input, which AWS reports as a SerializationException (as for a member of
 * the wrong type); it is also what a parser with a depth limit would say. Too many entries in a member is a
 * length constraint on a member that has a meaning, which AWS reports as a ValidationException naming the
 * member ("1 validation error detected: Value '[list]' at 'grantTokens' failed to satisfy constraint: Member
 * must have length less than or equal to 1000"); the body itself having too many members is unreadable input.
 */
export function refuseHostileJson(text: string): void {
  const violation = findJsonStructureViolation(text);
  if (!violation) return;
  if (violation.kind === 'depth') throw serializationError(`The request body is nested deeper than ${MAX_JSON_DEPTH} levels.`);
  if (violation.path.length === 0) {
    throw serializationError(violation.container === 'array' ? 'The request body must be a JSON object.' : `The request body has more than ${violation.maxEntries} members.`);
  }
  throw memberTooLong(violation.path, violation.container, violation.maxEntries);
}

/** Parses a JSON body, refusing unreadable, hostile or non-object bodies the AWS way. */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8').trim();
  // No input: clients may send "{}" or nothing at all.
  if (text === '') return {};
  refuseHostileJson(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw serializationError('The request body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw serializationError('The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}
