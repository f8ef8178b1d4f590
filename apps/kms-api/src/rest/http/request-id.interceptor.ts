import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { Observable } from 'rxjs';
import { ID_GENERATOR, IdGenerator } from '@keyledger/application';
import type { RestRequest } from './rest-request';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * Gives every REST request the id its events will carry, and returns it in X-Request-Id (errors carry it too,
 * see RestProblemFilter), so a client can find its own actions in /events and /audit.
 */
@Injectable()
export class RequestIdInterceptor implements NestInterceptor {
  constructor(@Inject(ID_GENERATOR) private readonly ids: IdGenerator) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<RestRequest>();
    request.requestId = this.ids.uuid();
    context.switchToHttp().getResponse<Response>().setHeader(REQUEST_ID_HEADER, request.requestId);
    return next.handle();
  }
}
