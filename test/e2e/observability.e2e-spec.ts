import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectOk, operation } from '../support/raw-aws-json';
import { restCall } from '../support/rest-client';
import { runServiceExpectingFailure, ServiceProcess, startServiceProcess } from '../support/service-process';
import { testPrincipalOf } from '../support/test-credentials';

/**
 * The service as an operator runs it (a separate process, `node bin/keyledger-api.js`): structured logs with
 * LOG_LEVEL, one access-log line per request, a start-up banner and nothing else at info, Prometheus metrics.
 */
jest.setTimeout(60_000);

type LogLine = Record<string, unknown> & { level: string; msg: string };
const lines = (service: ServiceProcess): LogLine[] =>
  service
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
};
const dataDirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyledger-observability-'));
  dataDirs.push(dir);
  return dir;
};
// Every service of this file has stopped by the time the file's last afterAll runs (jest runs them in order).
afterAll(() => {
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('logs', () => {
  let service: ServiceProcess;
  let dir: string;
  beforeAll(async () => {
    dir = dataDir();
    service = await startServiceProcess({ DATA_DIR: dir, LOG_FORMAT: 'json' });
  });
  afterAll(() => service?.stop());

  it('says at info only where it serves, which store, which mode and where the data is (no route mapping)', async () => {
    await waitFor(() => service.output().includes('Keyledger is serving')); // lines are flushed every 100 ms
    const info = lines(service).filter((l) => l.level === 'info' && l.msg !== 'request');
    expect(info).toHaveLength(1);
    expect(info[0]).toMatchObject({ msg: 'Keyledger is serving', url: service.url, store: 'embedded', mode: 'development', dataDir: dir });
    expect(service.output()).not.toMatch(/Mapped \{/);
  });

  it('writes one access-log line per request: operation, key, status, error type, duration, request id, principal; no secrets', async () => {
    const plaintext = Buffer.from('observability plaintext 1234567890').toString('base64');
    const key = expectOk(await operation(service.url, 'CreateKey', {})) as { KeyMetadata: { KeyId: string } };
    const encrypt = await operation(service.url, 'Encrypt', { KeyId: key.KeyMetadata.KeyId, Plaintext: plaintext });
    const encrypted = expectOk(encrypt) as { CiphertextBlob: string };
    const refused = await operation(service.url, 'Decrypt', { KeyId: 'alias/does-not-exist', CiphertextBlob: encrypted.CiphertextBlob });
    const rest = await restCall(service.url, 'GET', `/v1/keys/${key.KeyMetadata.KeyId}`);
    expect(rest.status).toBe(200);

    await waitFor(() => lines(service).filter((l) => l.msg === 'request').length >= 4);
    const requests = lines(service).filter((l) => l.msg === 'request');
    const encryptLine = requests.find((l) => l.requestId === encrypt.headers.get('x-amzn-requestid'));
    expect(encryptLine).toMatchObject({
      level: 'info',
      protocol: 'aws-json',
      operation: 'Encrypt',
      keyId: key.KeyMetadata.KeyId,
      status: 200,
      principal: testPrincipalOf('test'),
      accountId: '000000000000',
    });
    expect(typeof encryptLine!.durationMs).toBe('number');
    expect(requests.filter((l) => l.requestId === encrypt.headers.get('x-amzn-requestid'))).toHaveLength(1);
    expect(requests.find((l) => l.requestId === refused.headers.get('x-amzn-requestid'))).toMatchObject({
      operation: 'Decrypt',
      status: 400,
      errorType: 'NotFoundException',
      keyId: 'alias/does-not-exist',
    });
    expect(requests.find((l) => l.protocol === 'rest')).toMatchObject({ operation: 'GET /v1/keys/:keyId', keyId: key.KeyMetadata.KeyId, status: 200, principal: testPrincipalOf('test') });
    // Neither the plaintext nor the ciphertext appears anywhere in the output.
    expect(service.output()).not.toContain(plaintext);
    expect(service.output()).not.toContain(encrypted.CiphertextBlob);
  });
});

describe('LOG_LEVEL', () => {
  it('warn keeps the access log and the banner out; debug shows the framework start-up too', async () => {
    const quiet = await startServiceProcess({ DATA_DIR: dataDir(), LOG_LEVEL: 'warn' });
    try {
      expectOk(await operation(quiet.url, 'CreateKey', {}));
      await new Promise((r) => setTimeout(r, 300));
      expect(lines(quiet).filter((l) => l.level === 'info' || l.level === 'debug')).toEqual([]);
    } finally {
      await quiet.stop();
    }
    const chatty = await startServiceProcess({ DATA_DIR: dataDir(), LOG_LEVEL: 'debug' });
    try {
      await waitFor(() => chatty.output().includes('Keyledger is serving'));
      expect(lines(chatty).some((l) => l.level === 'debug' && /Mapped \{/.test(l.msg))).toBe(true);
    } finally {
      await chatty.stop();
    }
  });

  it('refuses an unknown level at start, naming the allowed ones', async () => {
    const { code, output } = await runServiceExpectingFailure({ DATA_DIR: dataDir(), LOG_LEVEL: 'loud' });
    expect(code).toBe(1);
    expect(output).toContain("LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got 'loud'.");
  });

  it('LOG_FORMAT=text writes human-readable lines', async () => {
    const text = await startServiceProcess({ DATA_DIR: dataDir(), LOG_FORMAT: 'text' });
    try {
      await waitFor(() => text.output().includes('Keyledger is serving'));
      expect(text.output()).toMatch(/INFO.*Keyledger is serving/);
      expect(text.output().split('\n').some((l) => l.startsWith('{'))).toBe(false);
    } finally {
      await text.stop();
    }
  });
});

describe('an idle service', () => {
  /** Times the thread blocked waiting (for epoll, here): each is a wake-up after it. */
  const waits = (pid: number) => Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'))![1]);

  it('lets its event loop sleep: fewer than 60 wake-ups a second (checks for other writers, event-loop delay samples)', async () => {
    const service = await startServiceProcess({ DATA_DIR: dataDir() });
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const before = waits(service.child.pid!);
      await new Promise((r) => setTimeout(r, 2000));
      // About 33 a second: 20 checks for commits by other writers, 10 event-loop delay samples. It was about 125 when
      // the delay histogram sampled every 10 ms and the log flushed every 100 ms with nothing to write.
      expect((waits(service.child.pid!) - before) / 2).toBeLessThan(60);
    } finally {
      await service.stop();
    }
  });
});

describe('GET /metrics', () => {
  const sample = (text: string, name: string, labels: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`) || (labels === '' && l.startsWith(`${name} `)));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  };

  it('counts requests by operation and outcome, times them, and shows projection lag, pool depth and usage batches', async () => {
    const service = await startServiceProcess({ DATA_DIR: dataDir(), KEYLEDGER_WRAPPING_KEY_POOL_SIZE: '1', KEYLEDGER_EXPIRY_INTERVAL_MS: '100' });
    try {
      const key = expectOk(await operation(service.url, 'CreateKey', {})) as { KeyMetadata: { KeyId: string } };
      for (let i = 0; i < 5; i++) expectOk(await operation(service.url, 'Encrypt', { KeyId: key.KeyMetadata.KeyId, Plaintext: 'AAAA' }));
      for (let i = 0; i < 2; i++) await operation(service.url, 'DescribeKey', { KeyId: 'alias/missing' });
      await new Promise((r) => setTimeout(r, 200));
      const response = await fetch(`${service.url}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain.*version=0\.0\.4/);
      const text = await response.text();
      expect(sample(text, 'keyledger_requests_total', 'protocol="aws-json",operation="Encrypt",outcome="Success"')).toBe(5);
      expect(sample(text, 'keyledger_requests_total', 'protocol="aws-json",operation="DescribeKey",outcome="NotFoundException"')).toBe(2);
      expect(sample(text, 'keyledger_request_duration_seconds_count', 'protocol="aws-json",operation="Encrypt"')).toBe(5);
      expect(sample(text, 'keyledger_projection_lag_events', '')).toBeGreaterThanOrEqual(0);
      expect(text).toMatch(/^keyledger_wrapping_key_pool_ready\{spec="RSA_2048"\} \d+$/m);
      expect(sample(text, 'keyledger_usage_log_batch_records_sum', '')).toBe(5);
      expect(text).toMatch(/^keyledger_maintenance_runs_total\{outcome="Succeeded"\} [1-9]\d*$/m);
      expect(text).toMatch(/^keyledger_process_resident_memory_bytes \d+$/m);
      expect(text).not.toContain(key.KeyMetadata.KeyId);
    } finally {
      await service.stop();
    }
  });

  it('wants the bearer token when KEYLEDGER_METRICS_TOKEN is set', async () => {
    const service = await startServiceProcess({ DATA_DIR: dataDir(), KEYLEDGER_METRICS_TOKEN: 'scrape-secret' });
    try {
      expect((await fetch(`${service.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${service.url}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${service.url}/metrics`, { headers: { Authorization: 'Bearer scrape-secret' } })).status).toBe(200);
    } finally {
      await service.stop();
    }
  });
});
