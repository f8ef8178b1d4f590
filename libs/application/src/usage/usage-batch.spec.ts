import { randomUUID } from 'node:crypto';
import type { KeyUseRecord } from '../ports/usage-log';
import { encodeUsageBatch, USAGE_EVENT_V1, USAGE_EVENT_V2, usageRecordCount, usageRecordsOf } from './usage-batch';
import { toUsageRecordData, type UsageRecordData } from './usage-events';

const KEY = '1234abcd-12ab-34cd-56ef-1234567890ab';
const use = (extra: Partial<KeyUseRecord> = {}): KeyUseRecord => ({
  keyId: KEY,
  keyArn: `arn:aws:kms:eu-west-1:111122223333:key/${KEY}`,
  accountId: '111122223333',
  region: 'eu-west-1',
  operation: 'Encrypt',
  keyMaterialId: 'a1'.repeat(32),
  principal: { type: 'User', accountId: '111122223333', accessKeyId: 'AKIAALICE' },
  requestId: randomUUID(),
  time: Date.parse('2026-12-06T01:00:00Z') + Math.floor(Math.random() * 1000),
  outcome: 'Succeeded',
  encryptionContext: {},
  ...extra,
});
const v2 = (records: UsageRecordData[]) => ({ type: USAGE_EVENT_V2, data: encodeUsageBatch(records) });

describe('usage batches (KeyUsageRecorded.v2)', () => {
  it('keeps what every record has in common once, and in each record only its own members', () => {
    const records = [use(), use(), use()].map(toUsageRecordData);
    const data = encodeUsageBatch(records);
    expect(data.shared).toEqual({
      accountId: '111122223333',
      keyArn: records[0].keyArn,
      keyId: KEY,
      keyMaterialId: 'a1'.repeat(32),
      operation: 'Encrypt',
      outcome: 'Succeeded',
      principal: { accessKeyId: 'AKIAALICE', accountId: '111122223333', type: 'User' },
      region: 'eu-west-1',
    });
    expect(data.records).toEqual(records.map((r) => ({ requestId: r.requestId, time: r.time })));
    // What the chain hashes and the store writes per use: a fraction of the v1 form.
    const fifty = Array.from({ length: 50 }, () => toUsageRecordData(use()));
    expect(JSON.stringify(encodeUsageBatch(fifty)).length * 3).toBeLessThan(JSON.stringify({ records: fifty }).length);
  });

  it('gives back every record exactly as built, members in key order, whatever differs between them', () => {
    const records = [
      use(),
      use({ principal: { type: 'User', accountId: '111122223333', accessKeyId: 'AKIABOB' } }),
      use({ encryptionContext: { purpose: 'test' } }),
      use({ outcome: 'Refused', errorType: 'DisabledException', keyMaterialId: undefined }),
      use({ operation: 'Decrypt', principal: { type: 'Service', accountId: '111122223333', invokedBy: 'keyledger-test' } }),
    ].map(toUsageRecordData);
    const data = encodeUsageBatch(records);
    // Only what all five share is shared: not the optional members some lack, not the principal or operation.
    expect(Object.keys(data.shared)).toEqual(['accountId', 'keyArn', 'keyId', 'region']);
    const decoded = usageRecordsOf({ type: USAGE_EVENT_V2, data: JSON.parse(JSON.stringify(data)) });
    expect(decoded).toEqual(records);
    expect(decoded!.map((r) => JSON.stringify(r))).toEqual(records.map((r) => JSON.stringify(r)));
    expect(usageRecordCount({ data })).toBe(5);
  });

  it('reads the v1 batches of older logs as they are', () => {
    const records = [use(), use({ operation: 'Sign' })].map(toUsageRecordData);
    expect(usageRecordsOf({ type: USAGE_EVENT_V1, data: { records } })).toEqual(records);
    expect(usageRecordsOf({ type: USAGE_EVENT_V1, data: { records } })).toEqual(usageRecordsOf(v2(records)));
  });

  it('is undefined for other events, and leaves checking malformed data to the reader', () => {
    expect(usageRecordsOf({ type: 'KeyCreated.v1', data: { records: [] } })).toBeUndefined();
    expect(usageRecordsOf({ type: USAGE_EVENT_V2, data: { records: 'no' } })).toEqual([]);
    expect(usageRecordsOf({ type: USAGE_EVENT_V2, data: null })).toEqual([]);
    // Entries that are not objects pass through; a member of a record wins over a shared one.
    expect(usageRecordsOf({ type: USAGE_EVENT_V2, data: { shared: { keyId: 'k', region: 'r' }, records: [7, { keyId: 'own', time: 't' }] } })).toEqual([
      7,
      { keyId: 'own', region: 'r', time: 't' },
    ]);
  });

  it('encodes an empty batch as an empty one', () => {
    expect(encodeUsageBatch([])).toEqual({ records: [], shared: {} });
    expect(usageRecordsOf({ type: USAGE_EVENT_V2, data: encodeUsageBatch([]) })).toEqual([]);
  });
});
