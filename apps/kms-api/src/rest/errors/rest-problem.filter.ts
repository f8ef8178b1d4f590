import { randomUUID } from 'node:crypto';
import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { REQUEST_ID_HEADER } from '../http/request-id.interceptor';
import type { RestRequest } from '../http/rest-request';
import { toProblem } from './problem-mapping';
import { PROBLEM_CONTENT_TYPE } from './problem-types';

/** Writes every REST error as `application/problem+json` (RFC 9457); the mapping itself is toProblem. */
@Catch()
export class RestProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('RestApi');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<RestRequest>();
    const response = http.getResponse<Response>();
    // Requests refused before a controller ran (unknown routes, unreadable bodies) get their request id here.
    const requestId = (request.requestId ??= randomUUID());
    const problem = toProblem(error, { method: request.method, path: request.path, requestId });
    if (problem.unexpected) {
      this.logger.error({ msg: 'unhandled error', requestId, error: (error as Error)?.message, stack: (error as Error)?.stack });
    }
    // For the access log and metrics.
    if (problem.body.awsErrorType) response.locals.errorType = problem.body.awsErrorType;
    response.status(problem.body.status).type(PROBLEM_CONTENT_TYPE).setHeader(REQUEST_ID_HEADER, requestId);
    for (const [name, value] of Object.entries(problem.headers)) response.setHeader(name, value);
    response.send(JSON.stringify(problem.body));
  }
}
