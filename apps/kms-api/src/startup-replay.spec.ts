import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import pino from 'pino';
import { KeyEventTypes, keyStreamId, NO_STREAM_REVISION } from '@keyledger/domain';
import { SqliteEventStore, type JsonObject } from '@keyledger/event-store';
import { loadConfig } from './config/config';
import { replayReadModelsBeforeStart } from './startup-replay';

const keyId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const created = (n: number) => ({
  type: KeyEventTypes.KeyCreated,
  data: {
    keyId: keyId(n), arn: `arn:aws:kms:us-east-1:000000000000:key/${keyId(n)}`, accountId: '000000000000', region: 'us-east-1', description: '',
    keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'EXTERNAL', multiRegion: false, creationDate: '2026-11-22T10:00:00.000Z',
  } as JsonObject,
  metadata: { timestamp: '2026-11-22T10:00:00.000Z', principal: { accessKeyId: 'test' } } as unknown as JsonObject,
});

/** A logger whose lines the test reads back. */
function capturingLogger() {
  const lines: Array<{ level: number; msg: string; [field: string]: unknown }> = [];
  const sink = new Writable({
    write: (chunk, _encoding, done) => {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

/** Runs the CLI (bin/keyledger-cli.js over dist/, which `npm test` builds first). */
describe('replayReadModelsBeforeStart', () => {
  let dataDir: string;
  const readModels = () => join(dataDir, 'read-models.sqlite');
  const logFile = () => join(dataDir, 'events.sqlite');
  /** Keys from..to created in the log, one event each. */
  const appendKeys = async (from: number, to: number) => {
    const store = new SqliteEventStore({ filename: logFile() });
    for (let n = from; n <= to; n += 1) await store.appendToStream(keyStreamId(keyId(n)), [created(n)], NO_STREAM_REVISION);
    await store.close();
  };
  const config = (env: NodeJS.ProcessEnv = {}) => loadConfig({ DATA_DIR: dataDir, KEYLEDGER_STARTUP_REPLAY_MIN_EVENTS: '3', ...env });

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'keyledger-startup-replay-'));
    await appendKeys(1, 3);
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('rebuilds missing read models with keyledger replay once the log has enough events, and says so', async () => {
    const { log, lines } = capturingLogger();
    await replayReadModelsBeforeStart(config(), log);
    expect(lines.map((line) => line.msg)).toEqual(['no read models: rebuilding them with keyledger replay before serving', 'read models rebuilt before start']);
    expect(lines[1].replay).toEqual(expect.arrayContaining(['rows: aliases 0, audit_entries 3, key_summaries 3, material_expiry_schedule 0, usage_groups 0']));
    const db = new Database(readModels(), { readonly: true });
    expect(db.prepare('SELECT position FROM projection_checkpoints').pluck().get()).toBe(3);
    db.close();
  });

  it('leaves the read models to the service below the threshold, with a file present, when off, and on EventStoreDB', async () => {
    const { log, lines } = capturingLogger();
    await replayReadModelsBeforeStart(config({ KEYLEDGER_STARTUP_REPLAY_MIN_EVENTS: '4' }), log);
    await replayReadModelsBeforeStart(config({ KEYLEDGER_STARTUP_REPLAY_MIN_EVENTS: '0' }), log);
    await replayReadModelsBeforeStart(config({ KEYLEDGER_EVENTSTORE_URL: 'esdb://127.0.0.1:1?tls=false' }), log);
    expect(existsSync(readModels())).toBe(false);
    new Database(readModels()).close(); // an existing file, even empty, is the service's to catch up
    await replayReadModelsBeforeStart(config(), log);
    expect(lines).toEqual([]);
  });

  it('rebuilds read models ahead of the log (its last commits lost in a power cut) before serving, and warns', async () => {
    const onDisk = readFileSync(logFile()); // the log as a power cut after this point leaves it
    await appendKeys(4, 5);
    await replayReadModelsBeforeStart(config(), capturingLogger().log);
    const checkpoint = () => {
      const db = new Database(readModels(), { readonly: true });
      try {
        return db.prepare('SELECT position FROM projection_checkpoints').pluck().get();
      } finally {
        db.close();
      }
    };
    expect(checkpoint()).toBe(5);

    writeFileSync(logFile(), onDisk);
    const { log, lines } = capturingLogger();
    await replayReadModelsBeforeStart(config(), log);
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [40, 'the read models are ahead of the event log (commits lost in a crash, or another log): rebuilding them with keyledger replay before serving'],
      [30, 'read models rebuilt before start'],
    ]);
    expect(lines[0]).toMatchObject({ events: 3, checkpoint: 5 });
    expect(checkpoint()).toBe(3);
    expect(lines[1].replay).toEqual(expect.arrayContaining(['rows: aliases 0, audit_entries 3, key_summaries 3, material_expiry_schedule 0, usage_groups 0']));

    // Not ahead: a file present is left to the service.
    await replayReadModelsBeforeStart(config(), log);
    expect(lines).toHaveLength(2);
  });

  it('rebuilds read models whose checkpoint event the log no longer has, though new events took the head past it', async () => {
    const onDisk = readFileSync(logFile());
    await appendKeys(4, 5);
    await replayReadModelsBeforeStart(config(), capturingLogger().log); // read models at position 5 (key 5)
    writeFileSync(logFile(), onDisk); // a power cut loses keys 4 and 5 ...
    await new Promise((resolve) => setTimeout(resolve, 5));
    await appendKeys(6, 7); // ... and positions 4 and 5 go to new events
    const { log, lines } = capturingLogger();
    await replayReadModelsBeforeStart(config(), log);
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [40, 'the read models do not match the event log at their checkpoint (commits lost in a crash and their positions used again, or another log): rebuilding them with keyledger replay before serving'],
      [30, 'read models rebuilt before start'],
    ]);
    const db = new Database(readModels(), { readonly: true });
    expect(db.prepare('SELECT key_id FROM key_summaries ORDER BY key_id').pluck().all()).toEqual([1, 2, 3, 6, 7].map(keyId));
    db.close();

    // Matching now: left to the service.
    await replayReadModelsBeforeStart(config(), log);
    expect(lines).toHaveLength(2);
  });

  it('when the replay fails, logs why and leaves the service to catch up by itself', async () => {
    const events = new Database(join(dataDir, 'events.sqlite'));
    events.prepare("UPDATE events SET metadata = '{not json' WHERE position = 2").run(); // never written by Keyledger
    events.close();
    const { log, lines } = capturingLogger();
    await replayReadModelsBeforeStart(config(), log);
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [30, 'no read models: rebuilding them with keyledger replay before serving'],
      [40, 'keyledger replay failed before start; the service catches up by itself'],
    ]);
    expect(lines[1].error).toContain('malformed JSON');
    expect(existsSync(readModels())).toBe(false);
  });
});
