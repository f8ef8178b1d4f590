import { encodeUsageBatch, USAGE_EVENT_V1, USAGE_EVENT_V2, usageRecordsOf } from '@keyledger/application';
import { decodeIndexRanges, encodeIndexRanges, groupUsageEvent, groupUsageRecords } from './usage-groups';

const record = (extra: Record<string, unknown> = {}) => ({
  keyId: 'k1',
  accountId: '111122223333',
  region: 'eu-west-1',
  operation: 'Encrypt',
  principal: { type: 'User', accountId: '111122223333', accessKeyId: 'AKIAALICE' },
  requestId: 'r',
  time: '2026-11-22T10:00:00.000Z',
  outcome: 'Succeeded',
  ...extra,
});

describe('index ranges', () => {
  it.each([
    [[0], '0'],
    [[0, 1, 2, 3], '0-3'],
    [[0, 1, 2, 5, 7, 8], '0-2,5,7-8'],
    [[1, 3, 5], '1,3,5'],
    [[], ''],
  ])('%j <-> %s', (indexes, text) => {
    expect(encodeIndexRanges(indexes)).toBe(text);
    if (indexes.length > 0) expect(decodeIndexRanges(text)).toEqual(indexes);
  });

  it('reads anything else as no indexes', () => {
    for (const text of ['', 'x', '1,,2', '3-1', '1-', '-1', '1;2', '1-2-3']) expect(decodeIndexRanges(text)).toEqual([]);
  });
});

describe('groupUsageRecords', () => {
  it('groups by key, account, region, operation, principal and outcome, in order of first record, with the time span', () => {
    const bob = { type: 'User', accountId: '111122223333', accessKeyId: 'AKIABOB' };
    const groups = groupUsageRecords([
      record({ time: '2026-11-22T10:00:05.000Z' }),
      record({ principal: bob }),
      record({ time: '2026-11-22T10:00:01.000Z' }),
      record({ outcome: 'Refused', errorType: 'DisabledException' }),
      record({ time: '2026-11-22T10:00:09.000Z', requestId: 'other', encryptionContextHash: 'e'.repeat(64) }),
      record({ keyId: 'k2' }),
      record({ region: 'us-east-1' }),
      record({ accountId: '444455556666' }),
      record({ operation: 'Decrypt' }),
      record({ principal: { type: 'Service', accountId: '111122223333', invokedBy: 'keyledger-test' } }),
    ]);
    expect(groups.map((g) => [g.indexes, g.principal])).toEqual([
      [[0, 2, 4], 'AKIAALICE'],
      [[1], 'AKIABOB'],
      [[3], 'AKIAALICE'],
      [[5], 'AKIAALICE'],
      [[6], 'AKIAALICE'],
      [[7], 'AKIAALICE'],
      [[8], 'AKIAALICE'],
      [[9], 'keyledger-test'],
    ]);
    expect(groups[0]).toMatchObject({ minTime: Date.parse('2026-11-22T10:00:01.000Z'), maxTime: Date.parse('2026-11-22T10:00:09.000Z') });
  });

  it('leaves out entries Keyledger never writes: not an object, a member missing, an unreadable time', () => {
    const groups = groupUsageRecords([null, 'x', [record()], record({ keyId: '' }), record({ outcome: undefined }), record({ time: 'yesterday' }), record()]);
    expect(groups.map((g) => g.indexes)).toEqual([[6]]);
  });
});

describe('groupUsageEvent', () => {
  /** What the projection found before its shortcut: every record rebuilt, then grouped one by one. */
  const recordByRecord = (event: { type: string; data: unknown }) => groupUsageRecords(usageRecordsOf(event) ?? []);
  const v2 = (records: object[]) => ({ type: USAGE_EVENT_V2, data: encodeUsageBatch(records) as unknown });

  it('finds the same groups as grouping record by record, over many random batches (v1 and v2)', () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pick = <T>(values: readonly T[]) => values[random(values.length)];
    let shortcuts = 0;
    for (let round = 0; round < 300; round++) {
      // Mostly uniform batches (the shortcut), sometimes a second key, operation, principal or outcome.
      const mixed = random(3) === 0;
      const records = Array.from({ length: 1 + random(40) }, (_, i) =>
        record({
          requestId: `r${i}`,
          time: random(25) === 0 ? 'not a time' : new Date(Date.UTC(2026, 10, 22, 10, 0, random(60))).toISOString(),
          ...(mixed && { keyId: pick(['k1', 'k2']), operation: pick(['Encrypt', 'Decrypt']), outcome: pick(['Succeeded', 'Refused']) }),
          ...(mixed && random(2) === 0 && { principal: { type: 'Service', accountId: '111122223333', invokedBy: 'keyledger-test' } }),
        }),
      );
      const event = random(5) === 0 ? { type: USAGE_EVENT_V1, data: { records } } : v2(records);
      const groups = groupUsageEvent(event);
      expect(groups).toEqual(recordByRecord(event));
      if (event.type === USAGE_EVENT_V2 && groups.length === 1 && !mixed) shortcuts++;
    }
    expect(shortcuts).toBeGreaterThan(100);
  });

  it('falls back to record by record where the shared members do not decide: a record overriding one, a shared time, malformed entries', () => {
    const shared = { accountId: '111122223333', keyId: 'k1', operation: 'Encrypt', outcome: 'Succeeded', principal: { type: 'User', accountId: '111122223333', accessKeyId: 'AKIAALICE' }, region: 'eu-west-1' };
    const events = [
      { type: USAGE_EVENT_V2, data: { shared, records: [{ requestId: 'a', time: '2026-11-22T10:00:00.000Z' }, { requestId: 'b', time: '2026-11-22T10:00:01.000Z', operation: 'Decrypt' }] } },
      { type: USAGE_EVENT_V2, data: { shared: { ...shared, time: '2026-11-22T10:00:00.000Z' }, records: [{ requestId: 'a' }, { requestId: 'b', time: '2026-11-22T10:00:05.000Z' }] } },
      { type: USAGE_EVENT_V2, data: { shared, records: [null, 'x', [], { requestId: 'a' }, { requestId: 'b', time: 'soon' }, { requestId: 'c', time: '2026-11-22T10:00:02.000Z' }] } },
      { type: USAGE_EVENT_V2, data: { shared: { ...shared, keyId: '' }, records: [{ requestId: 'a', time: '2026-11-22T10:00:00.000Z' }] } },
      { type: USAGE_EVENT_V2, data: { shared, records: 'not a list' } },
    ];
    for (const event of events) expect(groupUsageEvent(event)).toEqual(recordByRecord(event));
    expect(groupUsageEvent(events[0]).map((g) => [g.operation, g.indexes])).toEqual([['Encrypt', [0]], ['Decrypt', [1]]]);
    expect(groupUsageEvent(events[2]).map((g) => g.indexes)).toEqual([[5]]);
  });
});
