import { QueryBus } from '@nestjs/cqrs';
import {
  BatchingUsageRecorder,
  DisabledUsageRecorder,
  GetKeyLastUsage,
  KeyLastUsage,
  KeyUseRecord,
  USAGE_RECORDER,
  UsageRecorder,
} from '@keyledger/application';
import { SqliteEventStore } from '@keyledger/event-store';
import { join } from 'node:path';
import { RunningKeyledger, startKeyledger } from '../../../../../test/support/keyledger-harness';
import { expectOk, expectProblem, restClient, sigV4 } from '../../../../../test/support/rest-client';
import { fetchAllUsage, fetchUsage } from '../../../../../test/support/usage';
import { ConfigError, loadConfig } from '../../config/config';

/**
 * The usage log as composed in the service: the recorder bound to USAGE_RECORDER (or the one that drops records
 * when KEYLEDGER_USAGE_LOG=off), the usage read model, GET /v1/keys/{keyId}/usage and GetKeyLastUsage. The crypto
 * operations that record uses are not part of this: uses are handed to the recorder directly, as they will.
 */
const use = (keyId: string, arn: string, n: number, extra: Partial<KeyUseRecord> = {}): KeyUseRecord => ({
  keyId,
  keyArn: arn,
  accountId: '000000000000',
  region: 'us-east-1',
  operation: 'Decrypt',
  principal: { type: 'User', accountId: '000000000000', accessKeyId: 'test' },
  requestId: `req-${n}`,
  time: Date.now(),
  outcome: 'Succeeded',
  ...extra,
});

async function createKey(kl: RunningKeyledger): Promise<{ keyId: string; arn: string }> {
  const body = expectOk(await restClient(kl.url, sigV4('test')).post('/v1/keys', { description: 'usage' }), 201);
  return { keyId: body.keyId, arn: body.arn };
}

describe('usage log configuration', () => {
  it('KEYLEDGER_USAGE_LOG is on unless off; KEYLEDGER_USAGE_FLUSH_MS is 25 ms unless set (1..10000)', () => {
    expect(loadConfig({})).toMatchObject({ usageLog: true, usageFlushIntervalMs: 25 });
    expect(loadConfig({ KEYLEDGER_USAGE_LOG: 'off', KEYLEDGER_USAGE_FLUSH_MS: '250' })).toMatchObject({ usageLog: false, usageFlushIntervalMs: 250 });
    expect(loadConfig({ KEYLEDGER_USAGE_LOG: 'on' }).usageLog).toBe(true);
    expect(() => loadConfig({ KEYLEDGER_USAGE_LOG: 'false' })).toThrow(ConfigError);
    expect(() => loadConfig({ KEYLEDGER_USAGE_FLUSH_MS: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ KEYLEDGER_USAGE_FLUSH_MS: '10001' })).toThrow(ConfigError);
  });
});

describe('GET /v1/keys/{keyId}/usage', () => {
  let kl: RunningKeyledger;
  let recorder: UsageRecorder;
  let key: { keyId: string; arn: string };

  beforeAll(async () => {
    // Written only when flushed (or at shutdown): the endpoint itself must flush for a caller to see its own uses.
    kl = await startKeyledger({ env: { KEYLEDGER_USAGE_FLUSH_MS: '10000' } });
    recorder = kl.app.get(USAGE_RECORDER);
    key = await createKey(kl);
  });
  afterAll(() => kl.destroy());

  it('shows the uses recorded a moment ago (the request flushes the recorder), and the key revision does not move', async () => {
    expect(recorder).toBeInstanceOf(BatchingUsageRecorder);
    const before = await restClient(kl.url, sigV4('test')).get(`/v1/keys/${key.keyId}`);
    recorder.record(use(key.keyId, key.arn, 1, { encryptionContext: { order: 'secret-order-4711' } }));
    recorder.record(use(key.keyId, key.arn, 2, { operation: 'Encrypt', principal: { type: 'User', accountId: '000000000000', accessKeyId: 'other-app' } }));
    recorder.record(use(key.keyId, key.arn, 3, { outcome: 'Refused', errorType: 'KMSInvalidStateException' }));
    const page = expectOk(await fetchUsage(kl.url, key.keyId));
    expect(page.records.map((r) => [r.requestId, r.operation, r.principal.accessKeyId, r.outcome])).toEqual([
      ['req-1', 'Decrypt', 'test', 'Succeeded'],
      ['req-2', 'Encrypt', 'other-app', 'Succeeded'],
      ['req-3', 'Decrypt', 'test', 'Refused'],
    ]);
    expect(page.records[0]).toEqual({
      cursor: expect.any(String),
      keyId: key.keyId,
      keyArn: key.arn,
      operation: 'Decrypt',
      principal: { type: 'User', accountId: '000000000000', accessKeyId: 'test' },
      requestId: 'req-1',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      outcome: 'Succeeded',
      encryptionContextHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(page.records[2].errorType).toBe('KMSInvalidStateException');
    expect(page.next).toBeUndefined();
    expect(JSON.stringify(page)).not.toContain('secret-order-4711');
    const after = await restClient(kl.url, sigV4('test')).get(`/v1/keys/${key.keyId}`);
    expect(after.etag).toBe(before.etag);

    const last: KeyLastUsage = await kl.app.get(QueryBus).execute(new GetKeyLastUsage({ accountId: '000000000000', region: 'us-east-1' }, key.arn));
    expect(last).toMatchObject({ keyId: key.keyId, keyArn: key.arn, lastUse: { requestId: 'req-2' } });
    expect(last.trackingStartDate).toBe(last.keyCreationDate);
  });

  it('filters, pages with `next`, and accepts a key ARN', async () => {
    for (let n = 10; n < 15; n++) recorder.record(use(key.keyId, key.arn, n, { operation: 'GenerateDataKey' }));
    const filtered = expectOk(await fetchUsage(kl.url, key.arn, { operation: 'GenerateDataKey', limit: 2 }));
    expect(filtered.records.map((r) => r.requestId)).toEqual(['req-10', 'req-11']);
    expect(filtered.next).toEqual(expect.any(String));
    const all = await fetchAllUsage(kl.url, key.keyId, { operation: 'GenerateDataKey', limit: 2 });
    expect(all.map((r) => r.requestId)).toEqual(['req-10', 'req-11', 'req-12', 'req-13', 'req-14']);
    expect(expectOk(await fetchUsage(kl.url, key.keyId, { principal: 'other-app' })).records.map((r) => r.requestId)).toEqual(['req-2']);
    expect(expectOk(await fetchUsage(kl.url, key.keyId, { to: new Date(Date.now() - 3_600_000) })).records).toEqual([]);
    expect(expectOk(await fetchUsage(kl.url, key.keyId, { from: Date.now() - 3_600_000 })).records.length).toBe(8);
  });

  it('is described in the OpenAPI document: listKeyUsage, its query parameters, the page schema and problems', async () => {
    const document = expectOk(await restClient(kl.url).get('/openapi.json'));
    const operation = document.paths['/v1/keys/{keyId}/usage'].get;
    expect(operation.operationId).toBe('listKeyUsage');
    expect(operation.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`).sort()).toEqual(
      ['path:keyId', 'query:after', 'query:from', 'query:limit', 'query:operation', 'query:principal', 'query:to'].sort(),
    );
    expect(operation.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/KeyUsagePageResource' });
    for (const status of ['400', '404', '500']) expect(Object.keys(operation.responses[status].content)).toEqual(['application/problem+json']);
    expect(Object.keys(document.components.schemas.UsageRecordResource.properties)).toEqual(
      expect.arrayContaining(['cursor', 'operation', 'principal', 'requestId', 'time', 'outcome', 'errorType', 'encryptionContextHash']),
    );
  });

  it("is 404 for a key of another account or an unknown key, 400 for a bad cursor or parameter", async () => {
    expectProblem(await fetchUsage(kl.url, key.keyId, {}, { accessKeyId: '111122223333' }), 404, 'not-found', 'NotFoundException');
    expectProblem(await fetchUsage(kl.url, key.keyId, {}, { region: 'eu-west-1' }), 404, 'not-found', 'NotFoundException');
    expectProblem(await fetchUsage(kl.url, '11111111-2222-3333-4444-555555555555'), 404, 'not-found', 'NotFoundException');
    expectProblem(await fetchUsage(kl.url, key.keyId, { after: 'bm90LWEtY3Vyc29y' }), 400, 'invalid-marker', 'InvalidMarkerException');
    expectProblem(await fetchUsage(kl.url, key.keyId, { limit: 0 }), 400, 'validation-failed', 'ValidationException');
    expectProblem(await fetchUsage(kl.url, key.keyId, { from: 'yesterday' }), 400, 'validation-failed', 'ValidationException');
  });
});

describe('the usage log across a restart, and switched off', () => {
  it('writes what is buffered at shutdown; the next start shows it', async () => {
    const kl = await startKeyledger({ env: { KEYLEDGER_USAGE_FLUSH_MS: '10000' } });
    try {
      const key = await createKey(kl);
      kl.app.get<UsageRecorder>(USAGE_RECORDER).record(use(key.keyId, key.arn, 1));
      await kl.stop();
      const again = await startKeyledger({ dataDir: kl.dataDir });
      try {
        expect(expectOk(await fetchUsage(again.url, key.keyId)).records.map((r) => r.requestId)).toEqual(['req-1']);
      } finally {
        await again.stop();
      }
    } finally {
      await kl.destroy();
    }
  });

  it('KEYLEDGER_USAGE_LOG=off: uses are dropped and no usage stream is written', async () => {
    const kl = await startKeyledger({ env: { KEYLEDGER_USAGE_LOG: 'off' } });
    try {
      const key = await createKey(kl);
      const recorder = kl.app.get<UsageRecorder>(USAGE_RECORDER);
      expect(recorder).toBeInstanceOf(DisabledUsageRecorder);
      recorder.record(use(key.keyId, key.arn, 1));
      expect(expectOk(await fetchUsage(kl.url, key.keyId)).records).toEqual([]);
      await kl.stop();
      const store = new SqliteEventStore({ filename: join(kl.dataDir, 'events.sqlite') });
      const streams = new Set((await store.readAll()).map((e) => e.streamId));
      await store.close();
      expect([...streams].filter((s) => s.startsWith('kms-usage-'))).toEqual([]);
    } finally {
      await kl.destroy();
    }
  });
});
