/** Raw AWS JSON 1.1 requests with fetch, for tests of the protocol edge itself (no SDK in between). */
import { signedHeaders, SignAs } from './sigv4';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

const JSON_11 = 'application/x-amz-json-1.1';
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const toReply = async (response: Response): Promise<Reply> => ({ status: response.status, headers: response.headers, text: await response.text() });

/**
 * POST `path` with the AWS JSON content type and, unless undefined, an X-Amz-Target header, signed with SigV4 as
 * `test` (or as `signAs`; `null`: unsigned), exactly as an SDK would sign it.
 */
export async function post(url: string, target: string | undefined, body?: string | Buffer, path = '/', signAs: SignAs | null = { accessKeyId: 'test' }): Promise<Reply> {
  const headers: Record<string, string> = { 'Content-Type': JSON_11 };
  if (target !== undefined) headers['X-Amz-Target'] = target;
  const sent = signAs === null ? headers : await signedHeaders(`${url}${path}`, 'POST', headers, body, signAs);
  return toReply(await fetch(`${url}${path}`, { method: 'POST', headers: sent, body }));
}

/** TrentService.<operation> with a JSON body (strings are sent as they are). */
export const operation = (url: string, name: string, body: unknown) => post(url, `TrentService.${name}`, typeof body === 'string' ? body : JSON.stringify(body));

/** POSTs `bytes` spaces as a chunked stream (no Content-Length). */
export async function postStream(url: string, target: string, bytes: number): Promise<Reply> {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  const body = new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const init = { method: 'POST', headers: { 'Content-Type': JSON_11, 'X-Amz-Target': target }, body, duplex: 'half' };
  return toReply(await fetch(url, init as RequestInit));
}

/** The reply is an AWS JSON error: status, content type, request id, X-Amzn-ErrorType and exactly {__type, message}. */
export function expectAwsError(reply: Reply, status: number, type: string, message: string | RegExp): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/x-amz-json-1\.1(;|$)/);
  expect(reply.headers.get('x-amzn-requestid')).toMatch(REQUEST_ID);
  expect(reply.headers.get('x-amzn-errortype')).toBe(type);
  const body = JSON.parse(reply.text) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['__type', 'message']);
  expect(body.__type).toBe(type);
  if (typeof message === 'string') expect(body.message).toBe(message);
  else expect(body.message).toMatch(message);
}

/** The reply is a 200 AWS JSON answer with a request id; returns the parsed body. */
export function expectOk(reply: Reply): Record<string, unknown> {
  expect({ status: reply.status, body: reply.status === 200 ? 'ok' : reply.text }).toEqual({ status: 200, body: 'ok' });
  expect(reply.headers.get('content-type')).toMatch(/^application\/x-amz-json-1\.1(;|$)/);
  expect(reply.headers.get('x-amzn-requestid')).toMatch(REQUEST_ID);
  return JSON.parse(reply.text) as Record<string, unknown>;
}
