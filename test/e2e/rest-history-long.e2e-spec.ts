import { randomUUID } from 'node:crypto';
import { EVENT_STORE } from '@keyledger/application';
import { KeyEventTypes, keyStreamId, NO_STREAM_REVISION } from '@keyledger/domain';
import type { EventStore, JsonObject, NewEvent, ReadStreamOptions } from '@keyledger/event-store';
import { runCliOk } from '../../apps/kms-cli/testing/run-cli';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { expectOk, restClient, RestClient, sigV4 } from '../support/rest-client';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const EVENTS = 3000;
const MINUTE = 60_000;

/**
 * A key with a long history, written straight to the service's event store (chained, as the service writes), in
 * the shapes the service records: KeyCreated, then a description change a minute. The idea of bench/synthetic-key-history.ts.
 */
function syntheticHistory(keyId: string, start: number): NewEvent[] {
  const metadata = (operation: string, at: number): JsonObject => {
    const requestId = randomUUID();
    return {
      accountId: ACCOUNT, region: REGION, principal: { type: 'User', accountId: ACCOUNT, accessKeyId: 'AKIAHISTORYTEST' },
      requestId, correlationId: requestId, causationId: requestId, operation, timestamp: new Date(at).toISOString(),
    };
  };
  const created: NewEvent = {
    type: KeyEventTypes.KeyCreated,
    data: {
      keyId, arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`, accountId: ACCOUNT, region: REGION, description: 'd0', keySpec: 'SYMMETRIC_DEFAULT',
      keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS', multiRegion: false, creationDate: new Date(start).toISOString(), keyMaterialId: 'c'.repeat(64),
    },
    metadata: metadata('CreateKey', start),
  };
  const changes = Array.from({ length: EVENTS - 1 }, (_, i): NewEvent => ({
    type: KeyEventTypes.KeyDescriptionUpdated,
    data: { description: `d${i + 1}` },
    metadata: metadata('UpdateKeyDescription', start + (i + 1) * MINUTE),
  }));
  return [created, ...changes];
}

/** A key of a few thousand events: every history read is by range, page by page, and stops where it is asked to. */
describe('REST and CLI: history of a long-lived key', () => {
  let kl: RunningKeyledger;
  let rest: RestClient;
  let store: EventStore;
  const keyId = randomUUID();
  const start = Date.now() - EVENTS * MINUTE - 60 * MINUTE;
  const timeOf = (revision: number) => start + revision * MINUTE;
  let reads: ReadStreamOptions[];

  beforeAll(async () => {
    kl = await startKeyledger();
    rest = restClient(kl.url, sigV4('AKIAHISTORYTEST'));
    store = kl.app.get<EventStore>(EVENT_STORE);
    const events = syntheticHistory(keyId, start);
    let expected = NO_STREAM_REVISION;
    for (let first = 0; first < events.length; first += 500) {
      expected = (await store.appendToStream(keyStreamId(keyId), events.slice(first, first + 500), expected)).nextExpectedRevision;
    }
    // Every range the service asks of the key's stream from here on.
    const readStream = store.readStream.bind(store);
    jest.spyOn(store, 'readStream').mockImplementation((streamId, options) => {
      if (streamId === keyStreamId(keyId)) reads.push(options ?? {});
      return readStream(streamId, options);
    });
  }, 60_000);
  beforeEach(() => {
    reads = [];
  });
  afterAll(() => kl.destroy());

  it('?asOf= folds the history in pages up to that moment only', async () => {
    const reply = await rest.get(`/v1/keys/${keyId}?asOf=${new Date(timeOf(1234) + 1).toISOString()}`);
    expect(expectOk(reply)).toMatchObject({ keyId, description: 'd1234', keyState: 'Enabled' });
    expect(reply.etag).toBe('"1234"');
    expect(reads).toEqual([0, 500, 1000].map((fromRevision) => ({ fromRevision, maxCount: 500 })));

    reads = [];
    const latest = await rest.get(`/v1/keys/${keyId}?asOf=${Date.now()}`);
    expect({ description: latest.body.description, etag: latest.etag }).toEqual({ description: `d${EVENTS - 1}`, etag: `"${EVENTS - 1}"` });
    expect(reads.every((range) => range.maxCount === 500)).toBe(true);
  });

  it('/events pages by revision, each page one range read of the store', async () => {
    await rest.get(`/v1/keys/${keyId}/events?limit=1`); // the key's state is cached from here on
    reads = [];
    const reply = await rest.get(`/v1/keys/${keyId}/events?afterRevision=2500&limit=100`);
    const page = expectOk(reply);
    expect(page.events.map((e: { revision: number }) => e.revision)).toEqual(Array.from({ length: 100 }, (_, i) => 2501 + i));
    expect(page.events[0]).toMatchObject({ type: 'KeyDescriptionUpdated.v1', data: { description: 'd2501' }, time: new Date(timeOf(2501)).toISOString() });
    expect({ revision: page.revision, next: page.nextAfterRevision, etag: reply.etag }).toEqual({ revision: EVENTS - 1, next: 2600, etag: `"${EVENTS - 1}"` });
    // What is new since the cached state (nothing), then the page itself.
    expect(reads).toEqual([{ fromRevision: EVENTS, maxCount: 1000 }, { fromRevision: 2501, maxCount: 100 }]);

    const seen: number[] = [];
    for (let after: number | undefined = -1; after !== undefined; ) {
      const next: { events: Array<{ revision: number }>; nextAfterRevision?: number } = expectOk(await rest.get(`/v1/keys/${keyId}/events?limit=1000${after < 0 ? '' : `&afterRevision=${after}`}`));
      seen.push(...next.events.map((e: { revision: number }) => e.revision));
      after = next.nextAfterRevision;
    }
    expect(seen).toEqual(Array.from({ length: EVENTS }, (_, i) => i));
  });

  it('a new event is seen at once, and the revision (ETag) costs no read of the history', async () => {
    const before = await rest.get(`/v1/keys/${keyId}`);
    expect(before.etag).toBe(`"${EVENTS - 1}"`);
    expectOk(await rest.call('PUT', `/v1/keys/${keyId}/description`, { body: { description: 'latest' } }));
    reads = [];
    const after = await rest.get(`/v1/keys/${keyId}`);
    expect({ description: after.body.description, etag: after.etag }).toEqual({ description: 'latest', etag: `"${EVENTS}"` });
    // One range read, after the change: the command put the state it appended in the cache, so only what another
    // writer may have added since is asked for (nothing).
    expect(reads).toEqual([{ fromRevision: EVENTS + 1, maxCount: 1000 }]);
  });

  it('CLI state --as-of gives the key as it was at that moment', async () => {
    const { stdout } = await runCliOk(['state', keyId, '--as-of', new Date(timeOf(2222) + 1).toISOString(), '--data-dir', kl.dataDir]);
    expect(JSON.parse(stdout)).toMatchObject({ Revision: 2222, KeyMetadata: { KeyId: keyId, Description: 'd2222', KeyState: 'Enabled' } });
  }, 60_000);
});
