import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ID_GENERATOR, IdGenerator } from '@keyledger/application';
import { Caller, callerContext, RequestAuthenticator } from '../auth/request-authenticator';
import type { RequestObserver } from '../observability/request-observer';
import { AWS_JSON_CONTENT_TYPE, describeAwsError, errorBody } from './aws-error';
import { AwsProtocolError } from './aws-protocol-error';
import { OPERATIONS } from './operations';
import { parseJsonBody, readBody } from './request-body';
import { TurnEndWrites } from './turn-end-writes';

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

  /** Responses go out together at the end of the event-loop turn that read them, or as they are released after it (TurnEndWrites). */
  private readonly writes = new TurnEndWrites();

  async handle(request: IncomingMessage, response: ServerResponse, observer?: RequestObserver): Promise<void> {
    this.writes.handlingRequest();
    const started = performance.now();
    const requestId = this.ids.uuid();
    const seen: Seen = {};
    let status = 200;
    let errorType: string | undefined;
    let body: string;
    try {
      body = JSON.stringify(await this.run(request, response, requestId, seen));
    } catch (error) {
      const described = describeAwsError(error, request);
      ({ status, type: errorType } = described);
      body = JSON.stringify(errorBody(described.type, described.message));
    }
    this.writes.defer(() => {
      send(response, status, requestId, body, errorType);
      observer?.answered({
        protocol: 'aws-json',
        operation: seen.operation ?? 'Unknown',
        status,
        durationMs: performance.now() - started,
        requestId,
        keyId: seen.keyId,
        errorType,
        principal: seen.caller?.credential.principal,
        accountId: seen.caller?.credential.accountId,
      });
    });
  }

  private async run(request: IncomingMessage, response: ServerResponse, requestId: string, seen: Seen): Promise<object> {
    const target = String(request.headers['x-amz-target'] ?? '');
    const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const run = Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
    if (!run) {
      throw new AwsProtocolError(
        'UnknownOperationException',
        target ? `Operation ${target} is not supported by this service.` : 'Missing X-Amz-Target header: expected TrentService.<Operation>.',
      );
    }
    seen.operation = name;
    const raw = await readBody(request, response);
    const caller = await this.authenticator.awsJson({ method: request.method!, url: request.url!, headers: request.headers, body: raw });
    // Under load the signature may come back from the signing thread in a later turn: that turn handles requests too.
    this.writes.handlingRequest();
    seen.caller = caller;
    const body = parseJsonBody(raw);
    if (typeof body.KeyId === 'string') seen.keyId = body.KeyId.slice(0, MAX_LOGGED_KEY_ID);
    return run(body, callerContext(caller, name, requestId), { commands: this.commands, queries: this.queries });
  }
}

/** What the access log learns of a request as it is handled. */
interface Seen {
  operation?: string;
  keyId?: string;
  caller?: Caller;
}

/** A KeyId is at most 2048 characters (an alias ARN); a hostile one is cut in the log before validation refuses it. */
const MAX_LOGGED_KEY_ID = 256;

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
export function serveAwsJsonBeforeNest(server: Server, endpoint: AwsJsonEndpoint, observer?: RequestObserver): void {
  const [framework] = server.listeners('request') as Array<(request: IncomingMessage, response: ServerResponse) => void>;
  if (!framework) throw new Error('The HTTP server has no request listener to put the AWS JSON endpoint in front of.');
  server.removeListener('request', framework);
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    if (isAwsJsonRequest(request)) void endpoint.handle(request, response, observer);
    else framework(request, response);
  });
}
