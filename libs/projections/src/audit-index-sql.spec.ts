import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditEventTypes, DIGEST_STREAM_ID, refusalStreamForAccount, refusalStreamForKey } from '@keyledger/audit';
import { AliasEventTypes, aliasStreamId, KeyEventTypes, keyStreamId, NO_STREAM_REVISION } from '@keyledger/domain';
import { SqliteEventStore, type JsonObject, type NewEvent } from '@keyledger/event-store';
import { auditIndexSelectSql } from './audit-index-sql';
import { auditIndexEntry } from './audit-record';

const KEY = '00000000-0000-4000-8000-000000000001';
const OTHER = '00000000-0000-4000-8000-000000000002';
const user = { type: 'User', accountId: '111122223333', accessKeyId: 'AKIAALICE' };
const service = { type: 'Service', accountId: '111122223333', invokedBy: 'keyledger-expiry' };
const event = (type: string, data: object, metadata: object): NewEvent => ({ type, data: data as JsonObject, metadata: metadata as JsonObject });
const stamped = (principal: unknown, timestamp: unknown = '2026-11-22T10:00:00.123Z') => ({ principal, timestamp, requestId: 'r', operation: 'Op' });

/** Streams and events of every kind the audit index sees, including shapes Keyledger never writes. */
const LOG: Array<[string, NewEvent[]]> = [
  [keyStreamId(KEY), [
    event(KeyEventTypes.KeyCreated, { keyId: KEY }, stamped(user)),
    event(KeyEventTypes.KeyMaterialExpired, { keyMaterialId: 'a' }, stamped(service, '2026-11-22T23:59:59.999Z')),
    event(KeyEventTypes.KeyDisabled, {}, stamped(user, 'not a time')),
    event(KeyEventTypes.KeyEnabled, {}, { requestId: 'no principal, no timestamp' }),
    event(KeyEventTypes.KeyDisabled, {}, stamped(['an', 'array'], 12345)),
    event(KeyEventTypes.KeyEnabled, {}, stamped('a string')),
    event(KeyEventTypes.KeyDisabled, {}, stamped({ accessKeyId: null, invokedBy: 'fallback' }, '2026-02-28T00:00:00Z')),
    event(KeyEventTypes.KeyEnabled, {}, stamped({ type: 'User' }, '1970-01-01T00:00:00.000Z')),
    event(KeyEventTypes.KeyDisabled, {}, stamped({ accessKeyId: "O'Brien" }, '2026-11-22T10:00:00.000+02:00')),
  ]],
  [aliasStreamId('111122223333', 'eu-west-1', 'alias/created'), [
    event(AliasEventTypes.AliasCreated, { aliasName: 'alias/created', target: { keyId: KEY, keySpec: 'SYMMETRIC_DEFAULT' } }, stamped(user)),
    event(AliasEventTypes.AliasRetargeted, { target: { keyId: OTHER }, previousTargetKeyId: KEY }, stamped(user)),
    event(AliasEventTypes.AliasDeleted, { targetKeyId: OTHER, reason: 'DeleteAlias' }, stamped(user)),
    event(AliasEventTypes.AliasCreated, { target: { keyId: null }, targetKeyId: KEY }, stamped(user)),
    event(AliasEventTypes.AliasCreated, { target: { keyId: 7 }, targetKeyId: KEY }, stamped(user)),
    event(AliasEventTypes.AliasCreated, { target: 'not an object', targetKeyId: 8 }, stamped(user)),
    event(AliasEventTypes.AliasDeleted, {}, stamped(user)),
  ]],
  [refusalStreamForKey(KEY), [
    event(AuditEventTypes.RequestRefused, { operation: 'Encrypt', keyId: KEY, errorType: 'DisabledException' }, stamped(user)),
    event('SomethingElse.v1', { keyId: KEY }, stamped(user)),
  ]],
  [refusalStreamForAccount('111122223333'), [
    event(AuditEventTypes.RequestRefused, { operation: 'DescribeKey', requestedKeyId: 'alias/nope' }, stamped(user)),
    event(AuditEventTypes.RequestRefused, { operation: 'DescribeKey', keyId: 42 }, stamped(user)),
  ]],
  [DIGEST_STREAM_ID, [event(AuditEventTypes.LogDigest, { toPosition: 3 }, stamped(service))]],
  ['kms-usage-0001', [event('KeyUsageRecorded.v1', { records: [{ keyId: KEY }] }, stamped(service))]],
  ['kms-keyish-stream', [event(KeyEventTypes.KeyCreated, { keyId: KEY }, stamped(user))]],
];

describe('auditIndexSelectSql', () => {
  let dir: string;
  let store: SqliteEventStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyledger-audit-sql-'));
    store = new SqliteEventStore({ filename: join(dir, 'events.sqlite') });
    for (const [streamId, events] of LOG) await store.appendToStream(streamId, events, NO_STREAM_REVISION);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const selectFromLog = (after: number, until: number) => {
    const db = new Database(':memory:');
    try {
      db.exec(`ATTACH '${join(dir, 'events.sqlite')}' AS log`);
      return db.prepare(auditIndexSelectSql('log')).all(after, until) as Array<{ position: number }>;
    } finally {
      db.close();
    }
  };

  it('selects exactly the rows auditIndexEntry gives, for every kind of event', async () => {
    const events = await store.readAll({ maxCount: 1000 });
    const expected = events.flatMap((e) => {
      const entry = auditIndexEntry(e);
      return entry ? [{ position: e.position, key_id: entry.keyId ?? null, type: e.type, time: entry.time, principal: entry.principal ?? null }] : [];
    });
    // The shapes above are all exercised: listed and unlisted events, each fallback of key, time and principal.
    expect(expected.length).toBe(events.length - 7);
    expect(new Set(expected.map((row) => row.principal))).toEqual(new Set(['AKIAALICE', 'keyledger-expiry', 'fallback', "O'Brien", null]));
    expect(expected.filter((row) => row.key_id === null)).toHaveLength(2);
    expect(expected.some((row) => row.time === events[2].recordedAt)).toBe(true);
    expect(selectFromLog(0, events.length)).toEqual(expected);
  });

  it('selects only the positions in the range it is given', async () => {
    const all = selectFromLog(0, 1000);
    expect(selectFromLog(3, 12)).toEqual(all.filter((row) => row.position > 3 && row.position <= 12));
    expect(selectFromLog(5, 5)).toEqual([]);
  });
});
