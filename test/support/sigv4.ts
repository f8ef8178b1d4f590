import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../apps/kms-api/src/auth/sigv4-verifier';
import { TEST_SECRET } from './test-credentials';

export interface SignAs {
  accessKeyId: string;
  region?: string;
  secretAccessKey?: string;
}

/**
 * Signs a request as the AWS SDKs do (SigV4 with @smithy/signature-v4), for tests that talk HTTP without an SDK:
 * returns the headers to send (with Authorization and X-Amz-Date), signing host and every header given.
 */
export async function signedHeaders(url: string, method: string, headers: Record<string, string>, body: string | Buffer | undefined, as: SignAs): Promise<Record<string, string>> {
  const target = new URL(url);
  const signer = new SignatureV4({
    credentials: { accessKeyId: as.accessKeyId, secretAccessKey: as.secretAccessKey ?? TEST_SECRET },
    region: as.region ?? 'us-east-1',
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
  const { host: _host, ...sendable } = signed.headers as Record<string, string>;
  return sendable;
}
