import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../kms-api/src/auth/sigv4-signing';

/** Who signs, and for which region (the service is always `kms`). */
export interface SigningIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
}

/**
 * Signs one HTTP request to Keyledger as the AWS SDKs do (SigV4 with @smithy/signature-v4), for clients that talk
 * HTTP without an SDK (the CLI's REST calls, tests, benchmarks): returns the headers to send with Authorization and
 * X-Amz-Date, having signed host, the query and every header given.
 */
export async function sigV4Headers(url: string, method: string, headers: Record<string, string>, body: string | Buffer | undefined, as: SigningIdentity): Promise<Record<string, string>> {
  const target = new URL(url);
  const signer = new SignatureV4({
    credentials: { accessKeyId: as.accessKeyId, secretAccessKey: as.secretAccessKey, sessionToken: as.sessionToken },
    region: as.region,
    service: 'kms',
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(target.searchParams.keys())) {
    const values = target.searchParams.getAll(key);
    query[key] = values.length === 1 ? values[0] : values;
  }
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const signed = await signer.sign({
    method,
    protocol: target.protocol,
    hostname: target.hostname,
    port: target.port ? Number(target.port) : undefined,
    path: target.pathname,
    query,
    headers: { ...lower, host: target.host },
    body: body ?? '',
  });
  // fetch and node:http set Host themselves.
  const { host: _host, ...sendable } = signed.headers as Record<string, string>;
  return sendable;
}
