/** A problem type: its HTTP status, the last segment of its `type` URI and its fixed title. */
export interface ProblemType {
  status: number;
  slug: string;
  title: string;
}

export const PROBLEM_TYPE_PREFIX = 'urn:keyledger:problem:';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * AWS error name -> REST problem. The policy (docs/rest-api.md):
 *   400  the request itself is malformed or invalid, whatever the key's state: fix the request;
 *   404  the key (or route) does not exist for this caller;
 *   409  the key's state does not allow the operation now;
 *   422  the request is well formed but its content cannot be used with this key (wrong material, a token that
 *        is invalid, expired or for another key, an unsupported combination);
 *   500  the service failed;
 *   503  a dependency (the event store) is unavailable for now: the same request can be retried (Retry-After).
 */
export const AWS_ERROR_PROBLEMS: Record<string, ProblemType> = {
  ValidationException: { status: 400, slug: 'validation-failed', title: 'The request is not valid' },
  SerializationException: { status: 400, slug: 'malformed-request', title: 'The request could not be read' },
  InvalidArnException: { status: 400, slug: 'invalid-arn', title: 'The ARN is not valid' },
  InvalidMarkerException: { status: 400, slug: 'invalid-marker', title: 'The paging marker is not valid' },
  TagException: { status: 400, slug: 'invalid-tag', title: 'The tags are not valid' },
  MalformedPolicyDocumentException: { status: 400, slug: 'malformed-policy', title: 'The key policy is not a valid policy document' },
  // A reserved name (alias/aws/...): the caller may not do this, whatever the request's form.
  NotAuthorizedException: { status: 403, slug: 'not-authorized', title: 'The caller is not allowed to do this' },
  AccessDeniedException: { status: 403, slug: 'access-denied', title: 'The caller may not use this key' },
  // The caller could not be authenticated (no credentials, a bad signature, an unknown access key or token).
  MissingAuthenticationTokenException: { status: 401, slug: 'unauthenticated', title: 'The request is not authenticated' },
  IncompleteSignatureException: { status: 401, slug: 'unauthenticated', title: 'The request is not authenticated' },
  InvalidSignatureException: { status: 401, slug: 'unauthenticated', title: 'The request is not authenticated' },
  UnrecognizedClientException: { status: 401, slug: 'unauthenticated', title: 'The request is not authenticated' },
  NotFoundException: { status: 404, slug: 'not-found', title: 'The key does not exist' },
  UnknownOperationException: { status: 404, slug: 'no-such-route', title: 'No such route' },
  KMSInvalidStateException: { status: 409, slug: 'invalid-key-state', title: "The key's state does not allow this operation" },
  DisabledException: { status: 409, slug: 'key-disabled', title: 'The key is disabled' },
  ConflictException: { status: 409, slug: 'conflict', title: 'The request conflicts with the current state' },
  AlreadyExistsException: { status: 409, slug: 'already-exists', title: 'The resource already exists' },
  // 409, not 422: a quota is counted against what already exists (the key's aliases, its on-demand rotations,
  // the account's limits), so the same request can succeed once that state changes; that is a conflict with the
  // current state (RFC 9110 §15.5.10), not unusable content. The one request-shaped case, a policy over 131072
  // characters, keeps the same status so that one AWS error name always has one REST status.
  LimitExceededException: { status: 409, slug: 'limit-exceeded', title: 'A limit would be exceeded' },
  RequestEntityTooLargeException: { status: 413, slug: 'request-too-large', title: 'The request body is too large' },
  IncorrectKeyMaterialException: { status: 422, slug: 'incorrect-key-material', title: 'The key material cannot be used with this key' },
  InvalidImportTokenException: { status: 422, slug: 'invalid-import-token', title: 'The import token is not valid for this request' },
  ExpiredImportTokenException: { status: 422, slug: 'expired-import-token', title: 'The import token has expired' },
  InvalidCiphertextException: { status: 422, slug: 'invalid-ciphertext', title: 'The ciphertext cannot be decrypted' },
  IncorrectKeyException: { status: 422, slug: 'incorrect-key', title: 'The key cannot perform this operation' },
  InvalidKeyUsageException: { status: 422, slug: 'invalid-key-usage', title: "The key's usage does not allow this operation" },
  KMSInvalidSignatureException: { status: 422, slug: 'invalid-signature', title: 'The signature does not verify' },
  KMSInvalidMacException: { status: 422, slug: 'invalid-mac', title: 'The MAC does not verify' },
  UnsupportedOperationException: { status: 422, slug: 'unsupported-operation', title: 'The operation is not supported for this request' },
  KMSInternalException: { status: 500, slug: 'internal-error', title: 'Internal error' },
  // The event store could not be reached, did not answer in time or was busy: retry later (Retry-After).
  DependencyTimeoutException: { status: 503, slug: 'dependency-unavailable', title: 'The event store is unavailable' },
};

/** Problems that are not AWS errors. */
export const PRECONDITION_FAILED: ProblemType = { status: 412, slug: 'precondition-failed', title: 'The key has changed since the revision in If-Match' };
export const INTERNAL_ERROR: ProblemType = AWS_ERROR_PROBLEMS.KMSInternalException;
export const DEPENDENCY_UNAVAILABLE: ProblemType = AWS_ERROR_PROBLEMS.DependencyTimeoutException;
/** Seconds a client should wait before retrying after DEPENDENCY_UNAVAILABLE. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 1;
