import { Controller, HttpCode, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { Request, Response } from 'express';
import { ID_GENERATOR, IdGenerator } from '@keyledger/application';
import { AWS_JSON_CONTENT_TYPE, AwsErrorFilter } from './aws-error.filter';
import { AwsProtocolError } from './aws-protocol-error';
import { callerContext, RequestAuthenticator } from '../auth/request-authenticator';
import { OPERATIONS } from './operations';
import { parseJsonBody, readBody } from './request-body';

const TARGET_PREFIX = 'TrentService.';

/** The AWS JSON 1.1 endpoint: POST / with X-Amz-Target: TrentService.<Operation>. */
@Controller()
@UseFilters(AwsErrorFilter)
export class AwsJsonController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    private readonly authenticator: RequestAuthenticator,
  ) {}

  @Post()
  @HttpCode(200)
  async handle(@Req() request: Request & { requestId?: string }, @Res() response: Response): Promise<void> {
    request.requestId = this.ids.uuid();
    const target = String(request.headers['x-amz-target'] ?? '');
    const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
    const run = name !== undefined && Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
    if (!run) {
      throw new AwsProtocolError(
        'UnknownOperationException',
        target ? `Operation ${target} is not supported by this service.` : 'Missing X-Amz-Target header: expected TrentService.<Operation>.',
      );
    }
    const raw = await readBody(request);
    const caller = await this.authenticator.awsJson({ method: request.method, url: request.originalUrl, headers: request.headers, body: raw });
    const body = parseJsonBody(raw);
    const ctx = callerContext(caller, name!, request.requestId);
    const result = await run(body, ctx, { commands: this.commands, queries: this.queries });
    response.status(200).type(AWS_JSON_CONTENT_TYPE).setHeader('x-amzn-RequestId', request.requestId).send(JSON.stringify(result));
  }
}
