import { randomUUID } from 'node:crypto';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
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
function errorBody(type: string, message: string): Record<string, string> {
  if (!message) return { __type: type };
  return type === 'AccessDeniedException' ? { __type: type, Message: message } : { __type: type, message };
}

/**
 * The one place where errors become AWS JSON 1.1 error responses: `{"__type": ..., "message": ...}`. Anything
 * unexpected is logged (message and stack, never request bodies) and answered as KMSInternalException.
 */
@Catch()
export class AwsErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('AwsJson');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request & { requestId?: string }>();
    const { status, type, message } = this.describe(error, request);
    response
      .status(status)
      .type(AWS_JSON_CONTENT_TYPE)
      // Requests that never reached the controller (unknown routes) get a request id here: AWS always sends one.
      .setHeader('x-amzn-RequestId', (request.requestId ??= randomUUID()))
      .setHeader('X-Amzn-ErrorType', type)
      .send(JSON.stringify(errorBody(type, message)));
  }

  private describe(error: unknown, request: Request): { status: number; type: string; message: string } {
    if (isKmsError(error)) return { status: SERVER_FAULTS[error.type] ?? 400, type: error.type, message: error.message };
    if (error instanceof AwsProtocolError) return { status: error.status, type: error.type, message: error.message };
    // The store is unreachable, too slow or busy: a retryable server fault (AWS's model marks
    // DependencyTimeoutException as a server error, so SDKs retry it). Logged without a stack: it is not a bug.
    const unavailable = storeUnavailableOf(error);
    if (unavailable) {
      this.logger.warn({ msg: 'event store unavailable', reason: unavailable.reason, outcomeUnknown: unavailable.outcomeUnknown, error: unavailable.message });
      return { status: 500, type: 'DependencyTimeoutException', message: dependencyTimeoutMessage(unavailable) };
    }
    if (error instanceof HttpException && error.getStatus() === 404) {
      return { status: 404, type: 'UnknownOperationException', message: `No route for ${request.method} ${request.path}.` };
    }
    // Anything else the framework refuses before our code runs (e.g. an undecodable URL) is the client's error.
    if (error instanceof HttpException && error.getStatus() < 500) {
      return { status: error.getStatus(), type: 'ValidationException', message: error.message };
    }
    this.logger.error({ msg: 'unhandled error', error: (error as Error)?.message, stack: (error as Error)?.stack });
    return { status: 500, type: 'KMSInternalException', message: 'The request could not be completed because of an internal error.' };
  }
}
