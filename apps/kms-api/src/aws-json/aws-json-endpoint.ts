import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ID_GENERATOR, IdGenerator } from '@keyledger/application';
import { callerContext, RequestAuthenticator } from '../auth/request-authenticator';
import { AWS_JSON_CONTENT_TYPE, describeAwsError, errorBody } from './aws-error';
import { AwsProtocolError } from './aws-protocol-error';
import { OPERATIONS } from './operations';
import { parseJsonBody, readBody } from './request-body';

const TARGET_PREFIX = 'TrentService.';

/** The AWS JSON 1.1 endpoint: POST / (any query string) with X-Amz-Target: TrentService.<Operation>. */
export const isAwsJsonRequest = (request: IncomingMessage): boolean =>
  request.method === 'POST' && (request.url === '/' || request.url?.startsWith('/?') === true);

/**
 * The AWS JSON endpoint, served from a plain node:http handler in front of Nest's express pipeline (see
 * serveAwsJsonBeforeNest): the same buses, authenticator and error mapping as the rest of the application, without
 * express's routing, request decoration and response helpers, which cost more than the key operation itself.
 */
@Injectable()
export class AwsJsonEndpoint {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    private readonly authenticator: RequestAuthenticator,
  ) {}

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = this.ids.uuid();
    try {
      const result = await this.run(request, response, requestId);
      send(response, 200, requestId, JSON.stringify(result));
    } catch (error) {
      const { status, type, message } = describeAwsError(error, request);
      send(response, status, requestId, JSON.stringify(errorBody(type, message)), type);
    }
  }

  private async run(request: IncomingMessage, response: ServerResponse, requestId: string): Promise<object> {
    const target = String(request.headers['x-amz-target'] ?? '');
    const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const run = Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
    if (!run) {
      throw new AwsProtocolError(
        'UnknownOperationException',
        target ? `Operation ${target} is not supported by this service.` : 'Missing X-Amz-Target header: expected TrentService.<Operation>.',
      );
    }
    const raw = await readBody(request, response);
    const caller = await this.authenticator.awsJson({ method: request.method!, url: request.url!, headers: request.headers, body: raw });
    const body = parseJsonBody(raw);
    return run(body, callerContext(caller, name, requestId), { commands: this.commands, queries: this.queries });
  }
}

function send(response: ServerResponse, status: number, requestId: string, body: string, errorType?: string): void {
  // The client went away, or an early answer (413) is already on its way.
  if (response.headersSent || response.destroyed) return;
  const headers: Record<string, string | number> = {
    'Content-Type': AWS_JSON_CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-RequestId': requestId,
  };
  if (errorType) headers['X-Amzn-ErrorType'] = errorType;
  response.writeHead(status, headers).end(body);
}

/**
 * Puts the AWS JSON endpoint in front of the framework's request listener on the application's server: POST /
 * goes to the endpoint, everything else (REST, OpenAPI, health) to Nest as before.
 */
export function serveAwsJsonBeforeNest(server: Server, endpoint: AwsJsonEndpoint): void {
  const [framework] = server.listeners('request') as Array<(request: IncomingMessage, response: ServerResponse) => void>;
  if (!framework) throw new Error('The HTTP server has no request listener to put the AWS JSON endpoint in front of.');
  server.removeListener('request', framework);
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    if (isAwsJsonRequest(request)) void endpoint.handle(request, response);
    else framework(request, response);
  });
}
