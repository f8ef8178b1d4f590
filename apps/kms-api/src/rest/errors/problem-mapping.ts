import { HttpException } from '@nestjs/common';
import { AuditLogUnavailableError, StaleRevisionError } from '@keyledger/application';
import { isKmsError } from '@keyledger/domain';
import { storeUnavailableOf } from '@keyledger/event-store';
import { dependencyTimeoutMessage } from '../../aws-json/aws-error';
import { AwsProtocolError } from '../../aws-json/aws-protocol-error';
import { toETag } from '../http/etag';
import {
  AWS_ERROR_PROBLEMS,
  DEPENDENCY_RETRY_AFTER_SECONDS,
  DEPENDENCY_UNAVAILABLE,
  INTERNAL_ERROR,
  PRECONDITION_FAILED,
  PROBLEM_TYPE_PREFIX,
  ProblemType,
} from './problem-types';
import { RestHttpError } from './rest-http-error';

/** An RFC 9457 problem details object, plus the AWS error name and the request id. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  awsErrorType?: string;
  requestId: string;
  [extension: string]: unknown;
}

export interface MappedProblem {
  body: ProblemDetails;
  headers: Record<string, string>;
  /** Unexpected errors are logged; refusals are not. */
  unexpected: boolean;
}

const INTERNAL_DETAIL = 'The request could not be completed because of an internal error.';

/**
 * The one place where errors become REST problem responses. Every refusal of bad input is a 4xx with the
 * AWS error name the AWS endpoint would have returned; anything unexpected is a 500 that says nothing more.
 */
export function toProblem(error: unknown, request: { method: string; path: string; requestId: string }): MappedProblem {
  const build = (type: ProblemType, detail: string, awsErrorType?: string, extensions: Record<string, unknown> = {}, headers: Record<string, string> = {}) => ({
    body: { type: PROBLEM_TYPE_PREFIX + type.slug, title: type.title, status: type.status, detail, instance: request.path, awsErrorType, requestId: request.requestId, ...extensions },
    headers,
    unexpected: type.status >= 500,
  });
  const byAwsName = (name: string, detail: string, fallbackStatus = 400) => {
    const type = AWS_ERROR_PROBLEMS[name] ?? { status: fallbackStatus, slug: 'bad-request', title: 'The request was refused' };
    return build(type, type.status >= 500 ? INTERNAL_DETAIL : detail, name);
  };

  // The event store is unreachable, too slow or busy: 503 with Retry-After, the AWS name the AWS endpoint
  // answers (DependencyTimeoutException) and which condition it was. An outage, not a bug: not logged as one.
  const unavailable = storeUnavailableOf(error);
  if (unavailable) {
    const problem = build(DEPENDENCY_UNAVAILABLE, dependencyTimeoutMessage(unavailable), 'DependencyTimeoutException', { reason: unavailable.reason }, { 'Retry-After': String(DEPENDENCY_RETRY_AFTER_SECONDS) });
    return { ...problem, unexpected: false };
  }
  if (isKmsError(error) && error.type === 'DependencyTimeoutException') {
    return { ...build(DEPENDENCY_UNAVAILABLE, error.message, error.type, {}, { 'Retry-After': String(DEPENDENCY_RETRY_AFTER_SECONDS) }), unexpected: false };
  }
  if (isKmsError(error)) return byAwsName(error.type, error.message);
  if (error instanceof AwsProtocolError) return byAwsName(error.type, error.message, error.status);
  if (error instanceof StaleRevisionError) {
    const { expectedRevision, actualRevision } = error;
    return build(PRECONDITION_FAILED, error.message, undefined, { expectedRevision, currentRevision: actualRevision }, { ETag: toETag(actualRevision) });
  }
  if (error instanceof AuditLogUnavailableError) {
    return build({ status: 503, slug: 'audit-log-unavailable', title: 'The audit log is not available' }, error.message);
  }
  if (error instanceof RestHttpError) return build(error, error.message, error.awsErrorType);
  if (error instanceof HttpException) {
    // Raised by the framework before any controller ran: an unknown route, or a path that cannot be decoded.
    if (error.getStatus() === 404) return byAwsName('UnknownOperationException', `No route for ${request.method} ${request.path}.`);
    if (error.getStatus() === 400) return byAwsName('SerializationException', 'The request URL could not be decoded.');
  }
  return build(INTERNAL_ERROR, INTERNAL_DETAIL, 'KMSInternalException');
}
