import { json, NextFunction, Request, RequestHandler, Response } from 'express';
import { AwsProtocolError, serializationError } from '../../aws-json/aws-protocol-error';
import { MAX_BODY_BYTES } from '../../aws-json/request-body';
import { RestHttpError } from '../errors/rest-http-error';

const JSON_MEDIA_TYPES = ['application/json', 'application/*+json'];

const hasContent = (request: Request) =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/** body-parser's failures, in the terms both endpoints use (never its own messages, which quote the body). */
function refusal(error: { status?: number; type?: string }): Error {
  if (error.type === 'entity.too.large') {
    return new AwsProtocolError('RequestEntityTooLargeException', `The request body exceeds the maximum of ${MAX_BODY_BYTES} bytes.`, 413);
  }
  if (error.status === 415) return unsupportedMediaType(`The request body's content encoding or charset is not supported.`);
  if (error.status !== undefined && error.status < 500) return serializationError('The request body is not valid JSON.');
  return error as Error;
}

const unsupportedMediaType = (detail: string) => new RestHttpError(415, 'unsupported-media-type', 'Unsupported media type', detail);

/**
 * The JSON body parser of the REST routes only (the AWS endpoint reads its own body). Bodies are JSON of at
 * most the AWS endpoint's size; a body of any other media type is refused rather than silently ignored.
 */
export function restJsonBody(): RequestHandler {
  // The exact bytes are kept: a SigV4 signature covers them, not the parsed object.
  const parse = json({ limit: MAX_BODY_BYTES, type: JSON_MEDIA_TYPES, verify: (request, _response, buffer) => ((request as { rawBody?: Buffer }).rawBody = buffer) });
  return (request: Request, response: Response, next: NextFunction) => {
    if (hasContent(request) && !request.is(JSON_MEDIA_TYPES)) {
      return next(unsupportedMediaType(`Request bodies must be ${JSON_MEDIA_TYPES[0]}, not ${request.headers['content-type'] ?? 'untyped'}.`));
    }
    parse(request, response, (error?: unknown) => next(error ? refusal(error as { status?: number; type?: string }) : undefined));
  };
}
