import { ClientWrappingAlgorithm, wrapForImport } from './client-wrapping';
import { signedHeaders } from './sigv4';

/** Plain fetch against the REST API (/v1), as any HTTP client would call it. */

export interface RestReply<T = any> {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body (undefined when the body is not JSON). */
  body: T;
  etag: string | null;
}

export interface RestCall {
  body?: unknown;
  headers?: Record<string, string>;
}

const parse = (text: string) => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/**
 * Whom a request is signed as: `<accessKeyId>/<region>`, or `unsigned`. Never sent: restCall turns it into a real
 * SigV4 signature (secret `test`, see test-credentials.ts). Requests without it are signed as `test`; requests that
 * carry their own Authorization header are sent as they are.
 */
export const SIGN_AS = 'x-test-sign-as';

export async function restCall<T = any>(baseUrl: string, method: string, path: string, call: RestCall = {}): Promise<RestReply<T>> {
  const raw = typeof call.body === 'string' || call.body instanceof Buffer;
  const { [SIGN_AS]: signAs = 'test/us-east-1', ...given }: Record<string, string> = {
    ...(call.body !== undefined && !raw ? { 'Content-Type': 'application/json' } : {}),
    ...call.headers,
  };
  const body = call.body === undefined ? undefined : raw ? (call.body as string) : JSON.stringify(call.body);
  const explicit = Object.keys(given).some((name) => name.toLowerCase() === 'authorization');
  const [accessKeyId, region] = signAs.split('/');
  const headers = explicit || signAs === 'unsigned' ? given : await signedHeaders(`${baseUrl}${path}`, method, given, body, { accessKeyId, region });
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: parse(text), etag: response.headers.get('etag') };
}

/** Sign as this access key (secret `test`) in this region: a real SigV4 signature is computed when the request is sent. */
export const sigV4 = (accessKeyId: string, region = 'us-east-1') => ({ [SIGN_AS]: `${accessKeyId}/${region}` });

/** Send without any credentials (for the tests of authentication itself). */
export const unsigned = () => ({ [SIGN_AS]: 'unsigned' });

export function restClient(baseUrl: string, defaults: Record<string, string> = {}) {
  const call = <T = any>(method: string, path: string, options: RestCall = {}) =>
    restCall<T>(baseUrl, method, path, { ...options, headers: { ...defaults, ...options.headers } });
  return {
    call,
    get: <T = any>(path: string, headers?: Record<string, string>) => call<T>('GET', path, { headers }),
    post: <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => call<T>('POST', path, { body, headers }),
    delete: <T = any>(path: string, headers?: Record<string, string>) => call<T>('DELETE', path, { headers }),
  };
}
export type RestClient = ReturnType<typeof restClient>;

/** The reply is an RFC 9457 problem with this status, problem type and AWS error name. */
export function expectProblem(reply: RestReply, status: number, slug: string, awsErrorType?: string, detail?: string | RegExp): void {
  const summary = { status: reply.status, type: reply.body?.type, awsErrorType: reply.body?.awsErrorType };
  expect(summary).toEqual({ status, type: `urn:keyledger:problem:${slug}`, awsErrorType });
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json(;|$)/);
  expect(reply.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), requestId: reply.headers.get('x-request-id') });
  if (typeof detail === 'string') expect(reply.body.detail).toBe(detail);
  else if (detail) expect(reply.body.detail).toMatch(detail);
}

export function expectOk<T>(reply: RestReply<T>, status = 200): T {
  expect({ status: reply.status, body: reply.status === status ? 'as expected' : reply.body }).toEqual({ status, body: 'as expected' });
  return reply.body;
}

/** The BYOK round over REST: create (optional), import parameters, wrap locally, import. */
export async function restImport(
  rest: RestClient,
  keyId: string,
  material: Buffer,
  options: { algorithm?: ClientWrappingAlgorithm; wrappingKeySpec?: string; import?: Record<string, unknown>; headers?: Record<string, string> } = {},
) {
  const algorithm = options.algorithm ?? 'RSAES_OAEP_SHA_256';
  const params = expectOk(await rest.post(`/v1/keys/${keyId}/import-parameters`, { wrappingAlgorithm: algorithm, wrappingKeySpec: options.wrappingKeySpec ?? 'RSA_2048' }));
  const encryptedKeyMaterial = wrapForImport(algorithm, Buffer.from(params.publicKey, 'base64'), material).toString('base64');
  return rest.post(
    `/v1/keys/${keyId}/material`,
    { importToken: params.importToken, encryptedKeyMaterial, expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ...options.import },
    options.headers,
  );
}
