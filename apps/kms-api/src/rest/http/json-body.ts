import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { serializationError } from '../../aws-json/aws-protocol-error';
import { bodyTooLarge, MAX_BODY_BYTES, refuseHostileJson } from '../../aws-json/request-body';
import { BodyAbortedError, BodyTooLargeError, readBoundedBody } from '../../http-limits/bounded-body';
import { RestHttpError } from '../errors/rest-http-error';

const JSON_MEDIA_TYPES = ['application/json', 'application/*+json'];

const hasContent = (request: Request) =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

const unsupportedMediaType = (detail: string) => new RestHttpError(415, 'unsupported-media-type', 'Unsupported media type', detail);

/** The charset parameter of the Content-Type, lower-cased, if any. */
function charsetOf(request: Request): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(request.headers['content-type'] ?? '');
  return match?.[1].toLowerCase();
}

/**
 * Why a body cannot be decoded at all: JSON is UTF-8 (RFC 8259 §8.1), and compressed bodies are not accepted
 * (the signature covers the bytes sent, and a small compressed body can inflate far past the size limit).
 */
function undecodable(request: Request): string | undefined {
  const charset = charsetOf(request);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return `The request body's charset ${charset} is not supported: use utf-8.`;
  const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') return `The request body's content encoding ${encoding} is not supported.`;
  return undefined;
}

/** JSON as the REST routes take it: empty is {}, anything else must be a JSON object or array of bounded shape. */
function parse(raw: Buffer): unknown {
  let text = raw.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') return {};
  refuseHostileJson(text);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw serializationError('The request body is not valid JSON.');
  }
  // A scalar is valid JSON but no request (the AWS endpoint's words; an array is refused so by the validation pipe).
  if (body === null || typeof body !== 'object') throw serializationError('The request body must be a JSON object.');
  return body;
}

/** A failure to read the body, in the terms both endpoints use. */
function readFailure(error: unknown): unknown {
  if (error instanceof BodyTooLargeError) return bodyTooLarge(error.maxBytes);
  if (error instanceof BodyAbortedError) return serializationError(error.message);
  return error;
}

/**
 * The JSON body parser of the REST routes only (the AWS endpoint reads its own body). Bodies are JSON of at
 * most the AWS endpoint's size, read with the same bounds: refused by Content-Length before reading, or as soon
 * as a chunked body passes the limit, and the rest of the upload is not read (http-limits/bounded-body.ts).
 * A body of any other media type is refused rather than silently ignored, after reading at most that much of it.
 */
export function restJsonBody(): RequestHandler {
  return (request: Request & { rawBody?: Buffer }, response: Response, next: NextFunction) => {
    if (!hasContent(request)) return next();
    const refusal = !request.is(JSON_MEDIA_TYPES)
      ? unsupportedMediaType(`Request bodies must be ${JSON_MEDIA_TYPES[0]}, not ${request.headers['content-type'] ?? 'untyped'}.`)
      : undecodable(request) !== undefined
        ? unsupportedMediaType(undecodable(request)!)
        : undefined;
    readBoundedBody(request, MAX_BODY_BYTES, response).then(
      (raw) => {
        if (refusal) return next(refusal);
        // The exact bytes are kept: a SigV4 signature covers them, not the parsed object.
        request.rawBody = raw;
        try {
          request.body = parse(raw);
        } catch (error) {
          return next(error);
        }
        next();
      },
      (error: unknown) => next(refusal ?? readFailure(error)),
    );
  };
}
