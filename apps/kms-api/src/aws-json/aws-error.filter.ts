import { randomUUID } from 'node:crypto';
import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AWS_JSON_CONTENT_TYPE, describeAwsError, errorBody } from './aws-error';

/**
 * AWS JSON errors for what reaches Nest outside the AWS JSON endpoint (unknown routes, framework refusals): the
 * same mapping as the endpoint (aws-error.ts).
 */
@Catch()
export class AwsErrorFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request & { requestId?: string }>();
    const { status, type, message } = describeAwsError(error, { method: request.method, url: request.originalUrl });
    response.locals.errorType = type; // for the access log and metrics
    response
      .status(status)
      .type(AWS_JSON_CONTENT_TYPE)
      // AWS always sends a request id.
      .setHeader('x-amzn-RequestId', (request.requestId ??= randomUUID()))
      .setHeader('X-Amzn-ErrorType', type)
      .send(JSON.stringify(errorBody(type, message)));
  }
}
