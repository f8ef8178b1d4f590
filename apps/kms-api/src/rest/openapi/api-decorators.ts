import { applyDecorators, Type } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiParam, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ProblemResource } from '../dto/problem.dto';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem-types';

/** OpenAPI decorators shared by the REST controllers, so every route documents headers and errors the same way. */

const PROBLEMS: Record<number, string> = {
  400: 'The request is malformed or invalid (ValidationException, SerializationException, InvalidArnException, InvalidMarkerException), or If-Match is malformed.',
  401: 'The request is not authenticated: no signature or bearer token, or one that does not verify (MissingAuthenticationTokenException, IncompleteSignatureException, InvalidSignatureException, UnrecognizedClientException).',
  403: 'The caller may not do this (NotAuthorizedException), e.g. an alias name under the reserved alias/aws/ prefix.',
  404: 'The key does not exist for this caller, or did not exist yet at `asOf` (NotFoundException).',
  409: "The key's state does not allow the operation (KMSInvalidStateException, DisabledException, ConflictException).",
  412: 'If-Match names a revision the key has moved on from; nothing changed. ETag carries the current revision.',
  413: 'The body exceeds 256 KiB (RequestEntityTooLargeException).',
  415: 'The body is not JSON (application/json or a +json media type).',
  422: 'Well formed, but unusable with this key: IncorrectKeyMaterialException, InvalidImportTokenException, ExpiredImportTokenException, UnsupportedOperationException.',
  500: 'Internal error (KMSInternalException).',
  503: 'The audit read model is not available in this deployment.',
};

const REQUEST_ID = { 'X-Request-Id': { description: 'The id the request is recorded under in the key history and the audit log.', schema: { type: 'string' } } };
const ETAG = { ETag: { description: "The key stream's revision as a strong entity tag, e.g. \"3\"; send it back in If-Match.", schema: { type: 'string', example: '"3"' } } };

/**
 * Error responses: problem+json, with the request id, and for 412 the key's current revision in ETag.
 * `descriptions` replaces the shared text for statuses whose causes are specific to the route. 401 is always
 * listed: every REST route authenticates its caller first (RestEndpoint's guard).
 */
export const ApiProblemsWith = (descriptions: Record<number, string>, ...statuses: number[]) =>
  applyDecorators(
    ApiExtraModels(ProblemResource),
    ...[...new Set([401, ...statuses])].sort((a, b) => a - b).map((status) =>
      ApiResponse({
        status,
        description: descriptions[status] ?? PROBLEMS[status],
        headers: status === 412 ? { ...ETAG, ...REQUEST_ID } : REQUEST_ID,
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemResource) } } },
      }),
    ),
  );

export const ApiProblems = (...statuses: number[]) => ApiProblemsWith({}, ...statuses);

const LOCATION = { Location: { description: 'The new key: /v1/keys/{keyId}.', schema: { type: 'string' } } };

/** A success response about one key: it carries the key's revision in ETag. */
export const ApiKeyResponse = (status: number, type: Type, description: string, options: { location?: boolean } = {}) =>
  ApiResponse({ status, type, description, headers: { ...ETAG, ...REQUEST_ID, ...(options.location ? LOCATION : {}) } });

export const ApiPlainResponse = (type: Type, description: string) => ApiResponse({ status: 200, type, description, headers: REQUEST_ID });

export const ApiIfMatch = () =>
  ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'Optimistic concurrency: the ETag of the key as last read. If the key has changed since, the request is refused with 412 and nothing changes. `*` or no header: no check.',
    schema: { type: 'string', example: '"3"' },
  });

export const ApiKeyIdParam = () =>
  ApiParam({ name: 'keyId', description: 'Key id, or key ARN with its `/` encoded as %2F.', example: '1234abcd-12ab-34cd-56ef-1234567890ab' });
