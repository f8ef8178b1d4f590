import { applyDecorators, Controller, UseFilters, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RestProblemFilter } from './errors/rest-problem.filter';
import { RequestIdInterceptor } from './http/request-id.interceptor';
import { RestAuthenticationGuard } from './http/rest-authentication.guard';
import { RestValidationPipe } from './validation/rest-validation.pipe';

/** A REST controller: authenticated callers, problem+json errors, a request id on every request, bodies and queries validated into DTOs. */
export const RestEndpoint = (path: string, tag: string) =>
  applyDecorators(
    Controller(path),
    ApiTags(tag),
    UseFilters(RestProblemFilter),
    UseGuards(RestAuthenticationGuard),
    UseInterceptors(RequestIdInterceptor),
    UsePipes(RestValidationPipe),
  );
