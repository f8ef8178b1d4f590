import { sigV4Headers } from '../../apps/kms-cli/src/sigv4-request';
import { TEST_SECRET } from './test-credentials';

export interface SignAs {
  accessKeyId: string;
  region?: string;
  secretAccessKey?: string;
}

/** Signs a request as the AWS SDKs do, as a test principal (secret `test`, us-east-1 unless `as` says otherwise). */
export function signedHeaders(url: string, method: string, headers: Record<string, string>, body: string | Buffer | undefined, as: SignAs): Promise<Record<string, string>> {
  return sigV4Headers(url, method, headers, body, { accessKeyId: as.accessKeyId, secretAccessKey: as.secretAccessKey ?? TEST_SECRET, region: as.region ?? 'us-east-1' });
}
