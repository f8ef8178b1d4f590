import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The principals the tests call as. Every access key's secret is `test`; a 12-digit access key id names its own
 * account (so multi-account tests read naturally), any other belongs to 000000000000 like `test` itself. The
 * service learns all this only from the credentials file, as in production.
 */
export const TEST_ACCESS_KEYS = [
  'test',
  '111111111111',
  '111122223333',
  '222222222222',
  '999999999999',
  '123456789012',
  'AKIA',
  'AKIAALICE',
  'AKIAAUDITED',
  'AKIAAUDITTEST',
  'AKIABOB',
  'AKIAHISTORYTEST',
  'AKIAMALLORY',
  'AKIAOWN',
  'AKIASDKCALLER',
  'AKIATEST',
  'anonymous',
  'app-backend',
  'batch-job',
  'intruder',
  'late',
  'ops-team',
  'other-app',
] as const;

export const TEST_SECRET = 'test';
export const DEFAULT_TEST_ACCOUNT = '000000000000';

export const testAccountOf = (accessKeyId: string): string => (/^\d{12}$/.test(accessKeyId) ? accessKeyId : DEFAULT_TEST_ACCOUNT);
export const testPrincipalOf = (accessKeyId: string): string => `arn:aws:iam::${testAccountOf(accessKeyId)}:user/${accessKeyId}`;
/** Bearer tokens for REST clients that do not sign (one per access key). */
export const testBearerTokenOf = (accessKeyId: string): string => `bearer-${accessKeyId}`;

let shared: string | undefined;

/**
 * A credentials file with every test principal. Jest loads this module afresh for every test file, so the file
 * lives at one path per test process (rewritten with the same content), not in a new directory per test file.
 */
export function testCredentialsFile(): string {
  if (shared) return shared;
  // jest.config.js makes the directory and removes it after the run; a file per process, so no worker rewrites a
  // file another worker's service is reading.
  const dir = process.env.KEYLEDGER_TEST_CREDENTIALS_DIR ?? join(tmpdir(), `keyledger-test-credentials-${process.pid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `credentials-${process.pid}.json`);
  const credentials = TEST_ACCESS_KEYS.map((accessKeyId) => ({
    accessKeyId,
    secretAccessKey: TEST_SECRET,
    accountId: testAccountOf(accessKeyId),
    principal: testPrincipalOf(accessKeyId),
    bearerToken: testBearerTokenOf(accessKeyId),
  }));
  writeFileSync(file, JSON.stringify({ credentials }, null, 2), { mode: 0o600 });
  shared = file;
  return file;
}
