import type { Request } from 'express';
import { AwsProtocolError, serializationError } from './aws-protocol-error';

/** Large enough for the largest KMS request (6 KiB blobs base64-encoded, an 8 KiB description, a 32 KiB policy). */
export const MAX_BODY_BYTES = 256 * 1024;

/** Reads the body's exact bytes (they are what the request signature covers), refusing oversized bodies. */
export async function readBody(request: Request, maxBytes = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    // Past the limit the rest is read and dropped rather than leaving the loop: an early exit destroys the
    // socket, and a client still sending a large body would see a reset instead of the 413.
    if (size > maxBytes) chunks.length = 0;
    else chunks.push(chunk as Buffer);
  }
  if (size > maxBytes) {
    throw new AwsProtocolError('RequestEntityTooLargeException', `The request body exceeds the maximum of ${maxBytes} bytes.`, 413);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON body, refusing unreadable or non-object bodies the AWS way. */
export function parseJsonBody(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8').trim();
  // No input: clients may send "{}" or nothing at all.
  if (text === '') return {};
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
