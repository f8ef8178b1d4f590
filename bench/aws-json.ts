import { Agent, request as httpRequest } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../apps/kms-api/src/auth/sigv4-signing';

/**
 * A lean AWS JSON 1.1 client for the request-rate scenarios: node:http with one keep-alive agent of a fixed
 * number of sockets, each request body serialised once per operation and every request signed afresh with
 * SigV4 (@smithy/signature-v4, the signer inside the AWS SDK). Without the SDK's middleware stack the
 * client's CPU per request stays well below the service's, so the figures describe the service.
 */

export const AWS_JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

/** A failed AWS JSON call: the HTTP status and the error type (`__type`) and message the service returned. */
export class AwsJsonError extends Error {
  constructor(
    readonly status: number,
    type: string,
    message: string,
  ) {
    super(`HTTP ${status}: ${message}`);
    this.name = type;
  }
}

/** One operation's request, serialised once and sent (signed anew) as often as needed. */
export interface PreparedCall {
  operation: string;
  body: Buffer;
  headers: Record<string, string>;
}

export interface AwsJsonResponse {
  status: number;
  body: string;
}

export class AwsJsonClient {
  private static readonly open = new Set<AwsJsonClient>();
  private readonly agent: Agent;
  private readonly signer: SignatureV4;
  private readonly hostname: string;
  private readonly port: number;
  private readonly host: string;

  /** Drops every client's connections (on SIGINT, so the service can shut down at once). */
  static closeAll(): void {
    for (const client of [...AwsJsonClient.open]) client.close();
  }

  /**
   * @param endpoint `http://host:port` of the service
   * @param sockets the agent's fixed number of keep-alive connections (requests beyond it queue in the agent)
   */
  constructor(endpoint: string, sockets: number, options: { accessKeyId?: string; secretAccessKey?: string; region?: string } = {}) {
    const url = new URL(endpoint);
    if (url.protocol !== 'http:') throw new Error(`AwsJsonClient speaks plain HTTP only, got ${endpoint}`);
    this.hostname = url.hostname;
    this.port = Number(url.port || 80);
    this.host = url.host;
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
    this.signer = new SignatureV4({
      service: 'kms',
      region: options.region ?? 'us-east-1',
      credentials: { accessKeyId: options.accessKeyId ?? 'test', secretAccessKey: options.secretAccessKey ?? 'test' },
      sha256: NodeSha256,
    });
    AwsJsonClient.open.add(this);
  }

  close(): void {
    AwsJsonClient.open.delete(this);
    this.agent.destroy();
  }

  /** Serialises the request of `operation` once; send() signs and sends it. */
  prepare(operation: string, input: Record<string, unknown>): PreparedCall {
    const body = Buffer.from(JSON.stringify(input), 'utf8');
    return {
      operation,
      body,
      headers: {
        host: this.host,
        'content-type': AWS_JSON_CONTENT_TYPE,
        'content-length': String(body.length),
        'x-amz-target': `TrentService.${operation}`,
      },
    };
  }

  /** Signs the prepared request (SigV4, current time) and sends it; resolves with any HTTP status. */
  async send(call: PreparedCall): Promise<AwsJsonResponse> {
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: this.hostname,
      port: this.port,
      path: '/',
      query: {},
      headers: { ...call.headers },
      body: call.body,
    });
    return this.post(signed.headers, call.body);
  }

  /** Prepares, signs and sends one call; the parsed response, or an AwsJsonError for anything but HTTP 200. */
  async call<T = Record<string, unknown>>(operation: string, input: Record<string, unknown>): Promise<T> {
    return AwsJsonClient.parse<T>(await this.send(this.prepare(operation, input)));
  }

  /** The parsed body of a 200 response; throws AwsJsonError (the service's `__type` and message) otherwise. */
  static parse<T = Record<string, unknown>>(response: AwsJsonResponse): T {
    if (response.status !== 200) {
      let type = 'HttpError';
      let message = response.body.slice(0, 200) || '(empty body)';
      try {
        const error = JSON.parse(response.body) as { __type?: string; message?: string; Message?: string };
        type = (error.__type ?? type).replace(/^.*#/, '');
        message = error.message ?? error.Message ?? message;
      } catch {
        // not JSON: keep the raw text
      }
      throw new AwsJsonError(response.status, type, message);
    }
    return JSON.parse(response.body) as T;
  }

  private post(headers: Record<string, string>, body: Buffer): Promise<AwsJsonResponse> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        { agent: this.agent, hostname: this.hostname, port: this.port, method: 'POST', path: '/', headers, timeout: 60_000 },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error('no response within 60 s')));
      request.on('error', reject);
      request.end(body);
    });
  }
}
