import { decodeIndexRanges, encodeIndexRanges, groupUsageRecords } from './usage-groups';

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
