import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { encodeUsageBatch, UsageEventTypes, usageStreamId } from '@keyledger/application';
import { AuditEventTypes, refusalStreamForKey } from '@keyledger/audit';
import { AliasEventTypes, aliasStreamId, KeyEventTypes, keyStreamId, NO_STREAM_REVISION } from '@keyledger/domain';
import { SqliteEventStore, type JsonObject } from '@keyledger/event-store';
import { openReadModelDatabase, ProjectionRunner, readModelProjections } from '@keyledger/projections';
import { CliError } from '../cli-error';
import { rebuildReadModels } from './rebuild-read-models';

const keyId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const metadata = { accountId: '000000000000', region: 'us-east-1', principal: { type: 'User', accountId: '000000000000', accessKeyId: 'test' }, operation: 'CreateKey', requestId: 'r', timestamp: '2026-11-22T10:00:00.000Z' };
const created = (n: number) => ({
  type: KeyEventTypes.KeyCreated,
  data: {
    keyId: keyId(n), arn: `arn:aws:kms:us-east-1:000000000000:key/${keyId(n)}`, accountId: '000000000000', region: 'us-east-1', description: `key ${n}`,
    keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'EXTERNAL', multiRegion: false, creationDate: '2026-11-22T10:00:00.000Z',
  } as JsonObject,
  metadata: metadata as unknown as JsonObject,
});
const aliasCreated = (n: number) => ({
  type: AliasEventTypes.AliasCreated,
  data: { aliasName: `alias/key-${n}`, aliasArn: `arn:aws:kms:us-east-1:000000000000:alias/key-${n}`, accountId: '000000000000', region: 'us-east-1', target: { keyId: keyId(n), keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' }, creationDate: '2026-11-22T10:00:00.000Z' } as JsonObject,
  metadata: { ...metadata, operation: 'CreateAlias' } as unknown as JsonObject,
});
const usage = (n: number) => ({
  type: UsageEventTypes.KeyUsageRecorded,
  data: encodeUsageBatch([1, 2].map((i) => ({ accountId: '000000000000', keyId: keyId(n), operation: 'Encrypt', outcome: 'Succeeded', principal: metadata.principal, region: 'us-east-1', time: `2026-11-22T10:0${i}:00.000Z` }))) as unknown as JsonObject,
  metadata: { recordCount: 2, timestamp: '2026-11-22T10:03:00.000Z' } as JsonObject,
});
const refused = (n: number) => ({
  type: AuditEventTypes.RequestRefused,
  data: { operation: 'Encrypt', keyId: keyId(n), requestedKeyId: keyId(n), errorType: 'DisabledException', errorMessage: 'disabled' } as JsonObject,
  metadata: { ...metadata, principal: { type: 'User', accountId: '000000000000', accessKeyId: 'mallory' }, operation: 'Encrypt' } as unknown as JsonObject,
});
const issued = (n: number) => ({
  type: KeyEventTypes.ImportParametersIssued,
  data: { importTokenId: `token-${n}`, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048', parametersValidTo: '2026-11-23T10:00:00.000Z', publicKeyFingerprint: 'f' } as JsonObject,
  metadata: { ...metadata, operation: 'GetParametersForImport' } as unknown as JsonObject,
});
const imported = (n: number) => ({
  type: KeyEventTypes.KeyMaterialImported,
  data: {
    keyMaterialId: 'b'.repeat(64), importType: 'NEW_KEY_MATERIAL', reimport: false, materialState: 'CURRENT', expirationModel: 'KEY_MATERIAL_EXPIRES',
    validTo: '2026-12-01T00:00:00.000Z', importTokenId: `token-${n}`, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048',
  } as JsonObject,
  metadata: { ...metadata, operation: 'ImportKeyMaterial' } as unknown as JsonObject,
});
/** Every table of a read-models file, row by row. */
const rows = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
    return Object.fromEntries(tables.map((table) => [table, db.prepare(`SELECT * FROM "${table}" ORDER BY 1, 2`).all()]));
  } finally {
    db.close();
  }
};
const LOG_EVENTS = 34;

describe('rebuildReadModels', () => {
  let dir: string;
  let target: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyledger-cli-rebuild-'));
    target = join(dir, 'read-models.sqlite');
    const store = new SqliteEventStore({ filename: join(dir, 'events.sqlite') });
    for (let n = 1; n <= 25; n += 1) await store.appendToStream(keyStreamId(keyId(n)), [created(n)], NO_STREAM_REVISION);
    await store.appendToStream('some-other-stream', [{ type: 'Unrelated.v1', data: {}, metadata: {} }], NO_STREAM_REVISION);
    await store.appendToStream(aliasStreamId('000000000000', 'us-east-1', 'alias/key-1'), [aliasCreated(1)], NO_STREAM_REVISION);
    await store.appendToStream(aliasStreamId('000000000000', 'us-east-1', 'alias/key-2'), [aliasCreated(2)], NO_STREAM_REVISION);
    await store.appendToStream(usageStreamId('instance-1'), [usage(1), usage(2)], NO_STREAM_REVISION);
    await store.appendToStream(refusalStreamForKey(keyId(3)), [refused(3)], NO_STREAM_REVISION);
    // Keys whose events are pages apart, one of them with an expiry to schedule.
    await store.appendToStream(keyStreamId(keyId(1)), [issued(1), imported(1)], 0);
    await store.appendToStream(keyStreamId(keyId(2)), [issued(2)], 0);
    await store.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the same read models as the service’s runner following the live store, in pages', async () => {
    const store = new SqliteEventStore({ filename: join(dir, 'events.sqlite') });
    const liveFile = join(dir, 'live.sqlite');
    const live = openReadModelDatabase(liveFile);
    const runner = new ProjectionRunner(store, live, readModelProjections(live));
    runner.start();
    await runner.waitForPosition(LOG_EVENTS, 5000);
    await runner.stop();
    live.close();
    await store.close();

    const progress: number[] = [];
    const result = await rebuildReadModels({ dataDir: dir, target, pageSize: 10, onProgress: (applied) => progress.push(applied) });
    expect(result).toMatchObject({
      events: LOG_EVENTS,
      headPosition: LOG_EVENTS,
      projections: ['keys', 'aliases', 'audit', 'usage'],
      rows: { key_summaries: 25, aliases: 2, audit_entries: 31, material_expiry_schedule: 1, usage_groups: 2 },
    });
    // Both lanes report: the bar starts at 0, only moves forward, and ends at every event.
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(LOG_EVENTS);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(new Set(progress).size).toBe(progress.length);
    const rebuilt = rows(target);
    expect(rebuilt).toEqual(rows(liveFile));
    expect(rebuilt.projection_checkpoints).toEqual([{ name: expect.any(String), position: LOG_EVENTS, recorded_at: expect.any(Number) }]);
    expect(readdirSync(dir).filter((name) => name.includes('replay'))).toEqual([]);
  });

  it('leaves the log exactly as it was, in WAL mode, while a service has it open', async () => {
    const logFile = join(dir, 'events.sqlite');
    const service = new SqliteEventStore({ filename: logFile });
    await service.headPosition();
    const digest = () => createHash('sha256').update(readFileSync(logFile)).digest('hex');
    const before = digest();
    await rebuildReadModels({ dataDir: dir, target });
    expect(digest()).toBe(before);
    const reader = new Database(logFile, { readonly: true });
    expect(reader.pragma('journal_mode', { simple: true })).toBe('wal');
    reader.close();
    await service.close();
  });

  it('when the audit lane fails, says why and leaves the target as it was', async () => {
    writeFileSync(target, '');
    // An event whose metadata is not JSON (never written by Keyledger): only the audit index reads metadata.
    const log = new Database(join(dir, 'events.sqlite'));
    log.prepare("UPDATE events SET metadata = '{not json' WHERE position = 3").run();
    log.close();
    await expect(rebuildReadModels({ dataDir: dir, target })).rejects.toThrow(
      new CliError(`Replay failed while loading the audit index: SQLITE_ERROR: malformed JSON; ${target} was left unchanged.`),
    );
    expect(readFileSync(target)).toHaveLength(0);
    expect(readdirSync(dir).filter((name) => name.includes('replay'))).toEqual([]);
  });

  it('when the folding lane fails, says where it stopped and leaves the target as it was', async () => {
    writeFileSync(target, '');
    // Key data that is not JSON (never written by Keyledger): only the folding lane reads a key event's data.
    const log = new Database(join(dir, 'events.sqlite'));
    log.prepare("UPDATE events SET data = '{not json' WHERE type = ?").run(KeyEventTypes.KeyMaterialImported);
    log.close();
    await expect(rebuildReadModels({ dataDir: dir, target, pageSize: 10 })).rejects.toThrow(
      new CliError(`Replay stopped at position 30 of ${LOG_EVENTS} (see the error above); ${target} was left unchanged.`),
    );
    expect(readFileSync(target)).toHaveLength(0);
    expect(readdirSync(dir).filter((name) => name.includes('replay'))).toEqual([]);
  });

  it('when interrupted, leaves the target as it was and removes its temporary file', async () => {
    writeFileSync(target, ''); // an empty file is a valid, empty SQLite database
    const interrupt = new AbortController();
    interrupt.abort();
    await expect(rebuildReadModels({ dataDir: dir, target, interrupt: interrupt.signal })).rejects.toThrow(
      new CliError(`Replay interrupted at position 0 of ${LOG_EVENTS}; ${target} was left unchanged.`, 130),
    );
    expect(readFileSync(target)).toHaveLength(0);
    expect(readdirSync(dir).filter((name) => name.includes('replay'))).toEqual([]);
  });

  it('removes temporary files of replays whose process is gone, and only those', async () => {
    const abandoned = ['.read-models.sqlite.replay-999999999', '.read-models.sqlite.replay-999999999-wal'];
    const running = `.read-models.sqlite.replay-${process.ppid}`;
    for (const name of [...abandoned, running]) writeFileSync(join(dir, name), 'x');
    await rebuildReadModels({ dataDir: dir, target });
    expect(readdirSync(dir).filter((name) => name.includes('replay'))).toEqual([running]);
  });
});
