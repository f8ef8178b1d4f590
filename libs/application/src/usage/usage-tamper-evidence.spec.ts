import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { ChainingEventStore, LogDigestWriter, generateSigningKey, verifyAuditLog } from '@keyledger/audit';
import { InMemoryEventStore, NO_STREAM, RecordedEvent } from '@keyledger/event-store';
// The audit library's fixtures for tampering with a log held in an array.
import { arrayLog, copyOf } from '../../../audit/src/testing/signed-log-fixture';
import type { KeyUseRecord } from '../ports';
import { BatchingUsageRecorder } from './batching-usage-recorder';
import type { UsageBatchData } from './usage-batch';

const KEY_ID = '00000000-0000-4000-8000-00000000000a';
const STREAM = 'kms-usage-tamper-test';

const use = (n: number, accessKeyId = 'AKIAALICE'): KeyUseRecord => ({
  keyId: KEY_ID,
  keyArn: `arn:aws:kms:eu-west-1:111122223333:key/${KEY_ID}`,
  accountId: '111122223333',
  region: 'eu-west-1',
  operation: 'Decrypt',
  principal: { type: 'User', accountId: '111122223333', accessKeyId },
  requestId: `req-${n}`,
  time: Date.parse('2026-11-22T10:00:00Z') + n,
  outcome: 'Succeeded',
});

/**
 * Usage batches go through the same ChainingEventStore as every append, so the verifier covers them like key
 * events: rewriting who used a key, or removing a use, is reported.
 *
 *   1 kms-key-A r0   2 usage r0 (req-0, req-1)   3 usage r1 (req-2)   4 digest   5 usage r2 (req-3)   6 digest
 */
describe('the usage log is tamper-evident', () => {
  const signingKey = generateSigningKey();
  let original: RecordedEvent[];

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const store = new ChainingEventStore(new InMemoryEventStore());
    const writer = new LogDigestWriter({ store, signingKey, now: () => Date.parse('2026-11-22T11:00:00Z'), newId: randomUUID });
    const recorder = new BatchingUsageRecorder(store, { now: () => Date.parse('2026-11-22T10:00:01Z') }, { waitForPosition: async () => true }, { streamId: STREAM, flushIntervalMs: 10_000 });
    await store.appendToStream(`kms-key-${KEY_ID}`, [{ type: 'KeyCreated.v1', data: { keyId: KEY_ID }, metadata: { timestamp: '2026-11-22T09:00:00.000Z' } }], NO_STREAM);
    recorder.record(use(0));
    recorder.record(use(1));
    await recorder.flush();
    recorder.record(use(2));
    await recorder.flush();
    await writer.writeDigest();
    recorder.record(use(3));
    await recorder.flush();
    await writer.writeDigest();
    await recorder.beforeApplicationShutdown();
    original = await store.readAll();
  });
  afterAll(() => jest.restoreAllMocks());

  const verify = (events: RecordedEvent[]) => verifyAuditLog(arrayLog(events), { publicKeys: [signingKey.publicKey] });
  const tampered = (position: number, change: (data: UsageBatchData) => void): RecordedEvent[] => {
    const events = copyOf(original);
    change(events.find((e) => e.position === position)!.data as unknown as UsageBatchData);
    return events;
  };

  it('verifies the untouched log, usage batches chained like every event', async () => {
    expect(original.map((e) => [e.position, e.streamId, e.revision])).toEqual([
      [1, `kms-key-${KEY_ID}`, 0],
      [2, STREAM, 0],
      [3, STREAM, 1],
      [4, 'keyledger-audit-digests', 0],
      [5, STREAM, 2],
      [6, 'keyledger-audit-digests', 1],
    ]);
    expect(original[2].metadata.previousEventHash).toEqual(expect.stringMatching(/^[0-9a-f]{64}$/));
    const report = await verify(original);
    expect(report).toMatchObject({ ok: true, eventCount: 6, problems: [] });
  });

  it('reports a usage record whose principal was rewritten', async () => {
    const report = await verify(tampered(2, (data) => (data.records[1].principal = { accessKeyId: 'AKIASOMEONEELSE', accountId: '111122223333', type: 'User' })));
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'event-modified', position: 2, streamId: STREAM, revision: 0 });
  });

  it('reports a use removed from the last batch of the stream (through the digest that signed it)', async () => {
    const report = await verify(tampered(5, (data) => data.records.splice(0, 1)));
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'event-modified', position: 5, streamId: STREAM, revision: 2 });
  });

  it('reports a whole usage batch removed from the log', async () => {
    const report = await verify(copyOf(original).filter((e) => e.position !== 3));
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'event-missing', streamId: STREAM });
  });
});
