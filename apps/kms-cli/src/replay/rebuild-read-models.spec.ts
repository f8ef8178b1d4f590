import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { KeyEventTypes, keyStreamId, NO_STREAM_REVISION } from '@keyledger/domain';
import { SqliteEventStore, type JsonObject } from '@keyledger/event-store';
import { openReadModelDatabase, ProjectionRunner } from '@keyledger/projections';
import { CliError } from '../cli-error';
import { readModelProjections } from '@keyledger/projections';
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
const rows = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return {
      keys: db.prepare('SELECT key_id, state, last_position FROM key_summaries ORDER BY key_id').all(),
      audit: db.prepare('SELECT * FROM audit_entries ORDER BY position').all(),
      checkpoint: db.prepare('SELECT position FROM projection_checkpoints').pluck().get(),
    };
  } finally {
    db.close();
  }
};

describe('rebuildReadModels', () => {
  let dir: string;
  let target: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyledger-cli-rebuild-'));
    target = join(dir, 'read-models.sqlite');
    const store = new SqliteEventStore({ filename: join(dir, 'events.sqlite') });
    for (let n = 1; n <= 25; n += 1) await store.appendToStream(keyStreamId(keyId(n)), [created(n)], NO_STREAM_REVISION);
    await store.appendToStream('some-other-stream', [{ type: 'Unrelated.v1', data: {}, metadata: {} }], NO_STREAM_REVISION);
    await store.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the same read models as the service’s runner following the live store, in pages', async () => {
    const store = new SqliteEventStore({ filename: join(dir, 'events.sqlite') });
    const liveFile = join(dir, 'live.sqlite');
    const live = openReadModelDatabase(liveFile);
    const runner = new ProjectionRunner(store, live, readModelProjections(live));
    runner.start();
    await runner.waitForPosition(26, 5000);
    await runner.stop();
    live.close();
    await store.close();

    const progress: number[] = [];
    const result = await rebuildReadModels({ dataDir: dir, target, pageSize: 10, onProgress: (applied) => progress.push(applied) });
    expect(result).toMatchObject({ events: 26, headPosition: 26, projections: ['keys', 'aliases', 'audit', 'usage'], rows: { key_summaries: 25, aliases: 0, audit_entries: 25, usage_records: 0 } });
    expect(progress).toEqual([0, 10, 20, 26]);
    expect(rows(target)).toEqual(rows(liveFile));
    expect(readdirSync(dir).filter((name) => name.includes('replay'))).toEqual([]);
  });

  it('when interrupted, leaves the target as it was and removes its temporary file', async () => {
    writeFileSync(target, ''); // an empty file is a valid, empty SQLite database
    const interrupt = new AbortController();
    interrupt.abort();
    await expect(rebuildReadModels({ dataDir: dir, target, interrupt: interrupt.signal })).rejects.toThrow(
      new CliError(`Replay interrupted at position 0 of 26; ${target} was left unchanged.`, 130),
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
