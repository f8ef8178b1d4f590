import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NO_STREAM, WrongExpectedRevisionError, type EventStore, type NewEvent } from './event-store.port';
import { SELECT_STREAM_RANGE, SqliteEventStore, type SqliteEventStoreOptions } from './sqlite-event-store';
import { BUSY_TIMEOUT_MS, SCHEMA_VERSION, openEventDatabase } from './sqlite-schema';
import { describeEventStoreContract, SubscriptionProbe } from './testing';
import { contestEvents, ownStreamId, raceAppendWorkers } from './testing/cross-process-append';

function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'keyledger-event-store-'));
}

// A long poll interval, so the contract's "wakes without polling" test really checks the wake-up.
const CONTRACT_POLL_INTERVAL_MS = 1000;

describeEventStoreContract('SqliteEventStore on a file', async () => {
  const dir = makeTempDir();
  const options: SqliteEventStoreOptions = { filename: path.join(dir, 'events.db'), pollIntervalMs: CONTRACT_POLL_INTERVAL_MS };
  return {
    store: new SqliteEventStore(options),
    reopen: async () => new SqliteEventStore(options),
    cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}, { durable: true });

describeEventStoreContract('SqliteEventStore in :memory:', async () => ({
  store: new SqliteEventStore({ filename: ':memory:', pollIntervalMs: CONTRACT_POLL_INTERVAL_MS }),
  cleanup: async () => undefined,
}));

describe('SqliteEventStore specifics', () => {
  let dir: string;
  let filename: string;
  const opened: Array<{ close(): unknown }> = [];

  /** Opens a store (or raw connection) that afterEach will close. */
  function track<T extends { close(): unknown }>(closable: T): T {
    opened.push(closable);
    return closable;
  }

  /**
   * A store whose file has a trigger that, for an event of type 'Mine', takes its revision first: a writer that
   * slipped in between the check and the insert. The store is opened after the trigger exists, so it prepares its
   * statements against the final schema (a schema change by another connection mid-life is not what this is about).
   */
  async function storeWithRevisionThief(): Promise<SqliteEventStore> {
    await track(new SqliteEventStore({ filename })).close();
    const raw = track(new Database(filename));
    raw.exec(`CREATE TRIGGER take_revision_first BEFORE INSERT ON events WHEN NEW.type = 'Mine'
              BEGIN
                INSERT INTO events (stream_id, revision, type, data, metadata, recorded_at)
                VALUES (NEW.stream_id, NEW.revision, 'Theirs', '{}', '{}', 0);
              END`);
    return track(new SqliteEventStore({ filename }));
  }

  beforeEach(() => {
    dir = makeTempDir();
    filename = path.join(dir, 'events.db');
  });

  afterEach(async () => {
    for (const closable of opened.splice(0)) {
      await closable.close();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('database file', () => {
    it('opens connections in WAL mode with synchronous=FULL, a busy timeout, foreign keys and a schema version', () => {
      const db = track(openEventDatabase(filename));

      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(db.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    });

    it('reads a range of a stream by an index search on (stream_id, revision), never a scan of the table', () => {
      const db = track(openEventDatabase(filename));
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${SELECT_STREAM_RANGE}`).all('s', 0, 1) as Array<{ detail: string }>).map((row) => row.detail);

      expect(plan).toEqual([expect.stringMatching(/^SEARCH events USING INDEX sqlite_autoindex_events_1 \(stream_id=\? AND revision>\?\)$/)]);
      expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'events'").pluck().get()).toMatch(/UNIQUE \(stream_id, revision\)/);
    });

    it('creates the schema idempotently when opened again', async () => {
      const first = new SqliteEventStore({ filename });
      await first.appendToStream('a', [event('A')], NO_STREAM);
      const second = track(new SqliteEventStore({ filename }));
      await first.close();
      const third = track(new SqliteEventStore({ filename }));

      expect(await third.readStream('a')).toHaveLength(1);
      expect(await second.headPosition()).toBe(1);
    });

    it('refuses a database written by a newer schema version', async () => {
      await new SqliteEventStore({ filename }).close();
      const raw = new Database(filename);
      raw.pragma('user_version = 99');
      raw.close();

      expect(() => new SqliteEventStore({ filename })).toThrow(/schema version 99/);
    });

    it('never reuses a position, even after the newest row was deleted', async () => {
      const store = new SqliteEventStore({ filename });
      await store.appendToStream('a', [event('A'), event('A'), event('A')], NO_STREAM);
      await store.close();
      const raw = new Database(filename);
      raw.prepare('DELETE FROM events WHERE position = 3').run();
      raw.close();

      const reopened = track(new SqliteEventStore({ filename }));
      const { position } = await reopened.appendToStream('b', [event('B')], NO_STREAM);

      expect(position).toBe(4);
    });

    it('maps a UNIQUE(stream_id, revision) violation to WrongExpectedRevisionError and rolls back', async () => {
      const store = await storeWithRevisionThief();

      const appending = store.appendToStream('contested', [event('Mine')], NO_STREAM);

      const refused = await appending.then(
        () => undefined,
        (error: unknown) => error,
      );
      // On failure, show what came back instead (its code and message), not only its class.
      expect(refused instanceof WrongExpectedRevisionError ? refused : { unexpected: String(refused), code: (refused as { code?: string })?.code }).toBeInstanceOf(
        WrongExpectedRevisionError,
      );
      expect(refused).toMatchObject({ streamId: 'contested', expectedRevision: NO_STREAM });
      expect(await store.readAll()).toEqual([]);
    });
  });

  describe('group commit', () => {
    /** WAL frames written so far (a commit writes each page it changed once, so grouped appends write fewer). */
    function walFrames(): number {
      const raw = new Database(filename);
      try {
        return (raw.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0].log;
      } finally {
        raw.close();
      }
    }

    it('commits appends to different streams made in the same turn in one transaction, each with its own result', async () => {
      const store = track(new SqliteEventStore({ filename }));
      const before = walFrames();

      const results = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((stream) => store.appendToStream(stream, [event('Created')], NO_STREAM)));
      const grouped = walFrames() - before;

      expect(results.map((r) => r.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(results.every((r) => r.nextExpectedRevision === 0)).toBe(true);
      expect((await store.readAll()).map((e) => e.streamId)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
      // The same eight appends one at a time: eight commits, each rewriting the pages the first one wrote.
      for (const stream of ['i', 'j', 'k', 'l', 'm', 'n', 'o', 'p']) await store.appendToStream(stream, [event('Created')], NO_STREAM);
      const oneByOne = walFrames() - before - grouped;
      expect(grouped * 4).toBeLessThanOrEqual(oneByOne);
    });

    it('fails a conflicting append of a group alone: the others commit, the next one of its stream sees the earlier', async () => {
      const store = track(new SqliteEventStore({ filename }));

      const outcomes = await Promise.allSettled([
        store.appendToStream('key-1', [event('First')], NO_STREAM),
        store.appendToStream('key-2', [event('Other')], NO_STREAM),
        store.appendToStream('key-1', [event('AlsoFirst')], NO_STREAM), // conflicts with the first of the group
        store.appendToStream('key-1', [event('Second')], 0), // follows the first of the group
      ]);

      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      const refused = (outcomes[2] as PromiseRejectedResult).reason;
      expect(refused).toBeInstanceOf(WrongExpectedRevisionError);
      expect(refused).toMatchObject({ streamId: 'key-1', expectedRevision: NO_STREAM, actualRevision: 0 });
      expect((await store.readStream('key-1')).map((e) => `${e.revision}:${e.type}`)).toEqual(['0:First', '1:Second']);
      expect((await store.readAll()).map((e) => e.position)).toEqual([1, 2, 3]);
    });

    it('rolls back only the failing append when its insert breaks the UNIQUE backstop inside a group', async () => {
      const store = await storeWithRevisionThief();

      const [before, contested, after] = await Promise.allSettled([
        store.appendToStream('key-1', [event('Fine')], NO_STREAM),
        store.appendToStream('contested', [event('Mine')], NO_STREAM),
        store.appendToStream('key-2', [event('Fine')], NO_STREAM),
      ]);

      expect([before.status, after.status]).toEqual(['fulfilled', 'fulfilled']);
      expect(contested.status === 'rejected' && contested.reason).toBeInstanceOf(WrongExpectedRevisionError);
      expect((await store.readAll()).map((e) => `${e.streamId}:${e.type}`)).toEqual(['key-1:Fine', 'key-2:Fine']);
    });

    it("commits a group of deferred appends without waiting for the disk, and any group with a durable one at FULL", async () => {
      const store = track(new SqliteEventStore({ filename }));
      const pragmas: string[] = [];
      const realPragma = Database.prototype.pragma;
      // What the connection is set to at each commit: every pragma call the store makes, in order.
      jest.spyOn(Database.prototype, 'pragma').mockImplementation(function (this: Database.Database, source: string, options?: Database.PragmaOptions) {
        pragmas.push(source);
        return realPragma.call(this, source, options);
      });
      // The setting in force as each event's row goes in, read back from the connection: a PRAGMA prepared once and
      // re-run would not do (SQLite applies `synchronous = ...` when the statement is compiled, not when it runs).
      const atInsert: number[] = [];
      const statement = Object.getPrototypeOf(track(new Database(':memory:')).prepare('SELECT 1')) as Database.Statement;
      const realGet = statement.get;
      jest.spyOn(statement, 'get').mockImplementation(function (this: Database.Statement, ...params: unknown[]) {
        if (this.source.startsWith('INSERT INTO events')) atInsert.push(realPragma.call(this.database, 'synchronous', { simple: true }) as number);
        return realGet.apply(this, params);
      });

      await Promise.all([store.appendToStream('usage-1', [event('Used')], NO_STREAM, { durability: 'deferred' }), store.appendToStream('usage-2', [event('Used')], NO_STREAM, { durability: 'deferred' })]);
      expect(pragmas).toEqual(['synchronous = NORMAL', 'synchronous = FULL']);
      expect(atInsert).toEqual([1, 1]); // NORMAL

      pragmas.length = 0;
      await Promise.all([store.appendToStream('usage-1', [event('Used')], 0, { durability: 'deferred' }), store.appendToStream('key-1', [event('Created')], NO_STREAM)]);
      await store.appendToStream('key-1', [event('Changed')], 0);
      expect(pragmas).toEqual([]); // durable groups: the connection stays at FULL
      expect(atInsert).toEqual([1, 1, 2, 2, 2]);

      jest.restoreAllMocks();
      const raw = track(new Database(filename, { readonly: true }));
      expect((await store.readAll()).map((e) => `${e.streamId}:${e.type}`)).toEqual(['usage-1:Used', 'usage-2:Used', 'usage-1:Used', 'key-1:Created', 'key-1:Changed']);
      expect(raw.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 5 }); // committed: another connection sees them
    });

    it('commits appends still queued when the store is closed, before the connection goes', async () => {
      const store = new SqliteEventStore({ filename });
      const appending = store.appendToStream('key-1', [event('Created')], NO_STREAM);
      await store.close();

      await expect(appending).resolves.toMatchObject({ nextExpectedRevision: 0, position: 1 });
      const reopened = track(new SqliteEventStore({ filename }));
      expect((await reopened.readStream('key-1')).map((e) => e.type)).toEqual(['Created']);
      await expect(store.appendToStream('key-1', [event('Late')], 0)).rejects.toThrow(/not open/);
    });
  });

  describe('two instances sharing one file', () => {
    it('lets exactly one of 10 conflicting appends across both instances win', async () => {
      const a = track(new SqliteEventStore({ filename }));
      const b = track(new SqliteEventStore({ filename }));
      await a.appendToStream('key-1', [event('Seeded')], NO_STREAM);
      const instances: EventStore[] = [a, b];

      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, racer) =>
          instances[racer % 2].appendToStream('key-1', [event(`Racer${racer}`), event(`Racer${racer}`)], 0),
        ),
      );

      const winners = outcomes.flatMap((outcome, racer) => (outcome.status === 'fulfilled' ? [racer] : []));
      expect(winners).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          expect(outcome.reason).toBeInstanceOf(WrongExpectedRevisionError);
          expect(outcome.reason).toMatchObject({ expectedRevision: 0, actualRevision: 2 });
        }
      }
      const expectedTypes = ['Seeded', `Racer${winners[0]}`, `Racer${winners[0]}`];
      expect((await a.readStream('key-1')).map((e) => e.type)).toEqual(expectedTypes);
      expect((await b.readStream('key-1')).map((e) => e.type)).toEqual(expectedTypes);
    });

    it('delivers appends made through one instance to a subscription on the other, by checking for other writers', async () => {
      const a = track(new SqliteEventStore({ filename, pollIntervalMs: 10 }));
      const b = track(new SqliteEventStore({ filename }));
      await b.appendToStream('key-1', [event('Before')], NO_STREAM);
      const probe = new SubscriptionProbe(a, 0);
      await probe.waitForCount(1);

      await b.appendToStream('key-1', [event('Live')], 0);
      await b.appendToStream('key-2', [event('Live')], NO_STREAM);
      const delivered = await probe.waitForCount(3, 2000);
      await probe.stop();

      expect(delivered).toEqual(await b.readAll());
      expect(delivered.map((e) => e.type)).toEqual(['Before', 'Live', 'Live']);
    });

    it('leaves an idle subscription asleep: it reads the log again only when another instance commits', async () => {
      const a = track(new SqliteEventStore({ filename, pollIntervalMs: 5 }));
      const b = track(new SqliteEventStore({ filename }));
      const reads = jest.spyOn(a, 'readAll');
      const probe = new SubscriptionProbe(a, 0);
      await new Promise((resolve) => setTimeout(resolve, 100)); // twenty checks for other writers
      expect(reads).toHaveBeenCalledTimes(1); // the catch-up read

      await b.appendToStream('key-1', [event('Live')], NO_STREAM);
      expect((await probe.waitForCount(1, 2000)).map((e) => e.type)).toEqual(['Live']);
      await probe.stop();
      expect(reads).toHaveBeenCalledTimes(2);
    });
  });

  describe('separate OS processes sharing one file', () => {
    it('keeps the revision check atomic across processes and shows their appends to a subscriber', async () => {
      const subscriberStore = track(new SqliteEventStore({ filename, pollIntervalMs: 10 }));
      const probe = new SubscriptionProbe(subscriberStore, 0);
      const workerIds = ['w1', 'w2', 'w3', 'w4'];
      const ownEventCount = 10;

      const reports = await raceAppendWorkers(
        workerIds.map((workerId) => ({ filename, workerId, contestedStreamId: 'contested', ownEventCount })),
      );

      const winners = reports.filter((report) => report.wonContest);
      expect(winners).toHaveLength(1);
      for (const loser of reports.filter((report) => !report.wonContest)) {
        expect(loser.conflictActualRevision).toBe(1);
      }
      const contested = await subscriberStore.readStream('contested');
      expect(contested.map(({ type, data, metadata }) => ({ type, data, metadata }))).toEqual(
        contestEvents(winners[0].workerId),
      );

      for (const report of reports) {
        const own = await subscriberStore.readStream(ownStreamId(report.workerId));
        expect(own.map((e) => e.revision)).toEqual(Array.from({ length: ownEventCount }, (_, i) => i));
        expect(own.map((e) => e.position)).toEqual(report.ownPositions);
      }

      const total = 2 + workerIds.length * ownEventCount;
      const log = await subscriberStore.readAll();
      expect(log).toHaveLength(total);
      expect(new Set(log.map((e) => e.position)).size).toBe(total);
      const delivered = await probe.waitForCount(total, 2000);
      await probe.stop();
      expect(delivered).toEqual(log);
    });
  });
});

function event(type: string): NewEvent {
  return { type, data: {}, metadata: {} };
}
