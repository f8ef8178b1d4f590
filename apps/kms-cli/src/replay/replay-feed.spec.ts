import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyEventTypes, keyStreamId, NO_STREAM_REVISION } from '@keyledger/domain';
import { SqliteEventStore, type JsonObject, type RecordedEvent } from '@keyledger/event-store';
import { KeyProjection, openReadModelDatabase } from '@keyledger/projections';
import { ReadOnlyEventLog } from '../event-log/read-only-event-log';
import { ReplayFeed } from './replay-feed';

const keyId = '00000000-0000-4000-8000-000000000001';
const metadata = { principal: { accessKeyId: 'test' }, timestamp: '2026-11-22T10:00:00.000Z' } as unknown as JsonObject;
const created = {
  type: KeyEventTypes.KeyCreated,
  data: {
    keyId, arn: `arn:aws:kms:us-east-1:000000000000:key/${keyId}`, accountId: '000000000000', region: 'us-east-1', description: 'd',
    keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'EXTERNAL', multiRegion: false, creationDate: '2026-11-22T10:00:00.000Z',
  } as JsonObject,
  metadata,
};
const issued = {
  type: KeyEventTypes.ImportParametersIssued,
  data: { importTokenId: 'token-1', wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048', parametersValidTo: '2026-11-23T10:00:00.000Z', publicKeyFingerprint: 'f' } as JsonObject,
  metadata,
};

describe('ReplayFeed', () => {
  let dir: string;
  let log: ReadOnlyEventLog;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyledger-replay-feed-'));
    const store = new SqliteEventStore({ filename: join(dir, 'events.sqlite') });
    await store.appendToStream(keyStreamId(keyId), [created, issued], NO_STREAM_REVISION);
    await store.close();
    log = ReadOnlyEventLog.open(dir);
  });
  afterEach(() => {
    log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function deliver(feed: ReplayFeed): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    for await (const event of feed.subscribeToAll({ after: 0, signal: new AbortController().signal })) events.push(event);
    return events;
  }

  it('delivers the events of the log as stored, data parsed on first read, metadata left out when asked', async () => {
    const [first, second] = await deliver(new ReplayFeed(log, { until: 2, pageSize: 1, omitMetadata: true }));
    expect({ ...pick(first), data: first.data }).toEqual({ streamId: keyStreamId(keyId), revision: 0, position: 1, type: created.type, data: created.data, metadata: {} });
    expect({ ...pick(second), data: second.data }).toEqual({ streamId: keyStreamId(keyId), revision: 1, position: 2, type: issued.type, data: issued.data, metadata: {} });
    expect(second.data).toBe(second.data); // parsed once
    const [withMetadata] = await deliver(new ReplayFeed(log, { until: 1, pageSize: 10 }));
    expect(withMetadata.metadata).toEqual(metadata);
  });

  it('leaves the skipped types in the log, and says how far it read and what it delivered last', async () => {
    const feed = new ReplayFeed(log, { until: 2, pageSize: 1, skipTypes: [KeyEventTypes.ImportParametersIssued] });
    expect([feed.completed, feed.lastDelivered]).toEqual([false, 0]);
    const events = await deliver(feed);
    expect(events.map((e) => e.type)).toEqual([KeyEventTypes.KeyCreated]);
    expect([feed.completed, feed.lastDelivered, feed.eventsDelivered]).toEqual([true, 1, 1]);

    // Stopped by the runner (its signal) before the end: not completed.
    const stopped = new ReplayFeed(log, { until: 2, pageSize: 1 });
    const runner = new AbortController();
    for await (const event of stopped.subscribeToAll({ after: 0, signal: runner.signal })) if (event.position === 1) runner.abort();
    expect([stopped.completed, stopped.lastDelivered]).toEqual([false, 1]);
  });

  it('never parses the data of an ImportParametersIssued event the key projection folds', async () => {
    const events = await deliver(new ReplayFeed(log, { until: 2, pageSize: 10, omitMetadata: true }));
    const db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const projection = new KeyProjection(db);
      for (const event of events) projection.apply(event);
      const parsed = parse.mock.calls.map(([text]) => JSON.parse(text as string) as JsonObject);
      expect(parsed).toContainEqual(created.data); // the projection did read the event that changes the key
      expect(parsed).not.toContainEqual(issued.data);
    } finally {
      parse.mockRestore();
      db.close();
    }
  });
});

const pick = ({ streamId, revision, position, type, metadata }: RecordedEvent) => ({ streamId, revision, position, type, metadata });
