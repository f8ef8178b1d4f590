import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { Request } from 'express';

/**
 * Errors raised before a controller was chosen (an unknown route, a body that cannot be parsed, a path that
 * cannot be decoded) reach the global filter: they are answered in the protocol of the path they hit, REST
 * problems under `prefix`, AWS JSON errors everywhere else.
 */
@Catch()
export class FilterByPath implements ExceptionFilter {
  constructor(
    private readonly prefix: string,
    private readonly underPrefix: ExceptionFilter,
    private readonly elsewhere: ExceptionFilter,
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const path = host.switchToHttp().getRequest<Request>().path;
    const matches = path === this.prefix || path.startsWith(`${this.prefix}/`);
    (matches ? this.underPrefix : this.elsewhere).catch(error, host);
  }
}
