import type { IncomingMessage } from 'node:http';
import { HttpException, Logger } from '@nestjs/common';
import { isKmsError, KmsErrorType } from '@keyledger/domain';
import { storeUnavailableOf, type StoreUnavailableError } from '@keyledger/event-store';
import { AwsProtocolError } from './aws-protocol-error';

export const AWS_JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

/** Server faults (kms-api-reference.md §1.4); every other KMS error is a client error with status 400. */
const SERVER_FAULTS: Partial<Record<KmsErrorType, number>> = { KMSInternalException: 500, DependencyTimeoutException: 500 };

const STORE_UNAVAILABLE_DETAIL: Record<StoreUnavailableError['reason'], string> = {
  unreachable: 'the event store could not be reached',
  timeout: 'the event store did not answer in time',
  busy: 'the event store is busy',
};

const logger = new Logger('AwsJson');

/**
 * AWS's message for DependencyTimeoutException ("The system timed out while trying to fulfill the request"),
 * with which of the store's conditions it was; never a host name or a client error text.
 */
export function dependencyTimeoutMessage(error: StoreUnavailableError): string {
  return `The system timed out while trying to fulfill the request: ${STORE_UNAVAILABLE_DETAIL[error.reason] ?? 'the event store is unavailable'}. The request can be retried.`;
}

/**
 * KMS's own errors carry `message`; AccessDeniedException comes from AWS's authorization layer, which spells it
 * `Message` (kms-operations-reference.md §0.1). Some errors have no message at all.
 */
export function errorBody(type: string, message: string): Record<string, string> {
  if (!message) return { __type: type };
  return type === 'AccessDeniedException' ? { __type: type, Message: message } : { __type: type, message };
}

export interface AwsErrorDescription {
  status: number;
  type: string;
  message: string;
}

/**
 * The one place where errors become AWS JSON 1.1 errors (`{"__type": ..., "message": ...}` with a status), for
 * the AWS JSON endpoint and for whatever the framework refuses on other paths. Anything unexpected is logged
 * (message and stack, never request bodies) and answered as KMSInternalException.
 */
export function describeAwsError(error: unknown, request: Pick<IncomingMessage, 'method' | 'url'>): AwsErrorDescription {
  if (isKmsError(error)) return { status: SERVER_FAULTS[error.type] ?? 400, type: error.type, message: error.message };
  if (error instanceof AwsProtocolError) return { status: error.status, type: error.type, message: error.message };
  // The store is unreachable, too slow or busy: a retryable server fault (AWS's model marks
  // DependencyTimeoutException as a server error, so SDKs retry it). Logged without a stack: it is not a bug.
  const unavailable = storeUnavailableOf(error);
  if (unavailable) {
    logger.warn({ msg: 'event store unavailable', reason: unavailable.reason, outcomeUnknown: unavailable.outcomeUnknown, error: unavailable.message });
    return { status: 500, type: 'DependencyTimeoutException', message: dependencyTimeoutMessage(unavailable) };
  }
  if (error instanceof HttpException && error.getStatus() === 404) {
    return { status: 404, type: 'UnknownOperationException', message: `No route for ${request.method} ${(request.url ?? '').split('?')[0]}.` };
  }
  // Anything else the framework refuses before our code runs (e.g. an undecodable URL) is the client's error.
  if (error instanceof HttpException && error.getStatus() < 500) {
    return { status: error.getStatus(), type: 'ValidationException', message: error.message };
  }
  logger.error({ msg: 'unhandled error', error: (error as Error)?.message, stack: (error as Error)?.stack });
  return { status: 500, type: 'KMSInternalException', message: 'The request could not be completed because of an internal error.' };
}
