import { applyDecorators, Controller, UseFilters, UseInterceptors, UsePipes } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RestProblemFilter } from './errors/rest-problem.filter';
import { RequestIdInterceptor } from './http/request-id.interceptor';
import { RestValidationPipe } from './validation/rest-validation.pipe';

/** A REST controller: problem+json errors, a request id on every request, bodies and queries validated into DTOs. */
export const RestEndpoint = (path: string, tag: string) =>
  applyDecorators(
    Controller(path),
    ApiTags(tag),
    UseFilters(RestProblemFilter),
    UseInterceptors(RequestIdInterceptor),
    UsePipes(RestValidationPipe),
  );
