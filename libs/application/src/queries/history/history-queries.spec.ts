import { KeyEventTypes, keyStreamId, NO_STREAM_REVISION } from '@keyledger/domain';
import { EventStore, InMemoryEventStore, JsonObject, ReadStreamOptions } from '@keyledger/event-store';
import { KeyCommandExecutor } from '../../key-command-executor';
import { DescribeKeyAsOf, DescribeKeyAsOfHandler } from './describe-key-as-of';
import { GetKeyHistory, GetKeyHistoryHandler } from './key-history';
import { GetKeyRevision, GetKeyRevisionHandler } from './key-revision';

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const SCOPE = { accountId: '000000000000', region: 'us-east-1' };
const ARN = `arn:aws:kms:us-east-1:000000000000:key/${KEY_ID}`;
const T0 = Date.parse('2026-03-01T10:00:00Z');
const MINUTE = 60_000;
const MATERIAL_ID = 'b'.repeat(64);

const metadata = (at: number, requestId: string, operation: string): JsonObject => ({
  accountId: SCOPE.accountId,
  region: SCOPE.region,
  principal: { type: 'User', accountId: SCOPE.accountId, accessKeyId: 'AKIATEST' },
  requestId,
  correlationId: requestId,
  causationId: requestId,
  operation,
  timestamp: new Date(at).toISOString(),
});

/** Created at T0, import parameters at T0+1m, material imported at T0+2m (no expiry), deleted at T0+3m. */
async function keyWithHistory(store = new InMemoryEventStore()) {
  const events = [
    { type: KeyEventTypes.KeyCreated, data: { keyId: KEY_ID, arn: ARN, ...SCOPE, description: '', keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'EXTERNAL', multiRegion: false, creationDate: new Date(T0).toISOString() }, metadata: metadata(T0, 'r0', 'CreateKey') },
    { type: KeyEventTypes.ImportParametersIssued, data: { importTokenId: 't1', wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048', parametersValidTo: new Date(T0 + 1440 * MINUTE).toISOString(), publicKeyFingerprint: 'f' }, metadata: metadata(T0 + MINUTE, 'r1', 'GetParametersForImport') },
    { type: KeyEventTypes.KeyMaterialImported, data: { keyMaterialId: MATERIAL_ID, importType: 'NEW_KEY_MATERIAL', reimport: false, materialState: 'CURRENT', expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', importTokenId: 't1', wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' }, metadata: metadata(T0 + 2 * MINUTE, 'r2', 'ImportKeyMaterial') },
    { type: KeyEventTypes.KeyMaterialDeleted, data: { keyMaterialId: MATERIAL_ID }, metadata: metadata(T0 + 3 * MINUTE, 'r3', 'DeleteImportedKeyMaterial') },
  ];
  let revision = NO_STREAM_REVISION;
  for (const event of events) revision = (await store.appendToStream(keyStreamId(KEY_ID), [event as never], revision)).nextExpectedRevision;
  return store;
}

const executorOn = (store: EventStore) =>
  new KeyCommandExecutor(store, { now: () => T0 }, { put: async () => {}, get: async () => undefined, shred: async () => {}, list: async () => [] }, { waitForPosition: async () => true });

/** Records the range of every stream read, and how long the caller held the event loop between reads. */
class RecordingStore extends InMemoryEventStore {
  reads: Array<ReadStreamOptions | undefined> = [];
  override readStream(streamId: string, options?: ReadStreamOptions) {
    this.reads.push(options);
    return super.readStream(streamId, options);
  }
}

/** A key created at T0 with `count - 1` tag changes after it, one a second. */
async function longHistory<S extends InMemoryEventStore>(store: S, count: number): Promise<S> {
  const [created] = (await (await keyWithHistory()).readStream(keyStreamId(KEY_ID))).slice(0, 1);
  const events = [{ type: created.type, data: created.data, metadata: created.metadata }];
  for (let n = 1; n < count; n++) {
    events.push({ type: KeyEventTypes.KeyTagged, data: { tags: [{ TagKey: 'n', TagValue: String(n) }] }, metadata: metadata(T0 + n * 1000, `t${n}`, 'TagResource') });
  }
  await store.appendToStream(keyStreamId(KEY_ID), events, NO_STREAM_REVISION);
  return store;
}

describe('DescribeKeyAsOf', () => {
  const at = async (asOf: number, now = T0 + 10 * MINUTE) => new DescribeKeyAsOfHandler(await keyWithHistory(), { now: () => now }).execute(new DescribeKeyAsOf(SCOPE, KEY_ID, asOf));

  it('replays the stream up to the moment: each state with the revision of its last event', async () => {
    expect(await at(T0)).toMatchObject({ revision: 0, metadata: { KeyState: 'PendingImport' } });
    expect(await at(T0 + 2 * MINUTE - 1)).toMatchObject({ revision: 1, metadata: { KeyState: 'PendingImport' } });
    expect(await at(T0 + 2 * MINUTE)).toMatchObject({ revision: 2, metadata: { KeyState: 'Enabled', CurrentKeyMaterialId: MATERIAL_ID } });
    expect(await at(T0 + 3 * MINUTE)).toMatchObject({ revision: 3, metadata: { KeyState: 'PendingImport' } });
  });

  it('before the key existed it is NotFound; a moment after now is now', async () => {
    await expect(at(T0 - 1)).rejects.toMatchObject({ type: 'NotFoundException', message: `Key '${ARN}' does not exist` });
    // The clock says T0+2m30s: the deletion a minute later has not happened yet.
    expect(await at(T0 + 60 * MINUTE, T0 + 2.5 * MINUTE)).toMatchObject({ revision: 2, metadata: { KeyState: 'Enabled' } });
  });

  it('a key of another account or region does not exist for the caller', async () => {
    const handler = new DescribeKeyAsOfHandler(await keyWithHistory(), { now: () => T0 + 10 * MINUTE });
    for (const scope of [{ ...SCOPE, accountId: '111122223333' }, { ...SCOPE, region: 'eu-west-1' }]) {
      await expect(handler.execute(new DescribeKeyAsOf(scope, KEY_ID, T0 + MINUTE))).rejects.toMatchObject({ type: 'NotFoundException' });
    }
  });
});

describe('GetKeyHistory', () => {
  it('pages the stream oldest first, with metadata and payloads', async () => {
    const store = await keyWithHistory();
    const handler = new GetKeyHistoryHandler(store, executorOn(store));
    const first = await handler.execute(new GetKeyHistory(SCOPE, ARN, { limit: 3 }));
    expect(first).toMatchObject({ keyId: KEY_ID, revision: 3, nextAfterRevision: 2 });
    expect(first.entries.map((e) => [e.revision, e.type, e.requestId, e.operation, e.time])).toEqual([
      [0, 'KeyCreated.v1', 'r0', 'CreateKey', T0],
      [1, 'ImportParametersIssued.v1', 'r1', 'GetParametersForImport', T0 + MINUTE],
      [2, 'KeyMaterialImported.v1', 'r2', 'ImportKeyMaterial', T0 + 2 * MINUTE],
    ]);
    expect(first.entries[0].principal).toEqual({ type: 'User', accountId: SCOPE.accountId, accessKeyId: 'AKIATEST' });
    const second = await handler.execute(new GetKeyHistory(SCOPE, KEY_ID, { limit: 3, afterRevision: 2 }));
    expect(second.entries.map((e) => e.revision)).toEqual([3]);
    expect(second.nextAfterRevision).toBeUndefined();
  });

  it('an unknown key is NotFound, a malformed key id too', async () => {
    const store = new InMemoryEventStore();
    const handler = new GetKeyHistoryHandler(store, executorOn(store));
    await expect(handler.execute(new GetKeyHistory(SCOPE, KEY_ID, { limit: 10 }))).rejects.toMatchObject({ type: 'NotFoundException' });
    await expect(handler.execute(new GetKeyHistory(SCOPE, 'nope', { limit: 10 }))).rejects.toMatchObject({ type: 'NotFoundException', message: "Invalid keyId 'nope'" });
  });
});

describe('GetKeyRevision', () => {
  it("answers with the stream's last revision once the read models include its position", async () => {
    const store = await keyWithHistory();
    const waited: number[] = [];
    const handler = new GetKeyRevisionHandler(executorOn(store), { waitForPosition: async (position) => (waited.push(position), true) });
    expect(await handler.execute(new GetKeyRevision(SCOPE, KEY_ID))).toEqual({ keyId: KEY_ID, revision: 3 });
    expect(waited).toEqual([await store.headPosition()]);
  });
});

describe('history reads by range', () => {
  it('DescribeKeyAsOf reads in pages only up to the first event after the moment', async () => {
    const store = await longHistory(new RecordingStore(), 1600);
    const handler = new DescribeKeyAsOfHandler(store, { now: () => T0 + 10_000_000 });

    const result = await handler.execute(new DescribeKeyAsOf(SCOPE, KEY_ID, T0 + 700_000)); // the event at revision 700
    expect(result.revision).toBe(700);
    expect(store.reads).toEqual([{ fromRevision: 0, maxCount: 500 }, { fromRevision: 500, maxCount: 500 }]);

    store.reads = [];
    expect((await handler.execute(new DescribeKeyAsOf(SCOPE, KEY_ID, T0 + 10_000_000))).revision).toBe(1599);
    expect(store.reads.map((r) => r?.fromRevision)).toEqual([0, 500, 1000, 1500]);
    // Another account's key is not found, without reading past its first page.
    store.reads = [];
    await expect(handler.execute(new DescribeKeyAsOf({ ...SCOPE, accountId: '111122223333' }, KEY_ID, T0 + 700_000))).rejects.toMatchObject({ type: 'NotFoundException' });
    expect(store.reads).toHaveLength(1);
  });

  it('DescribeKeyAsOf lets the event loop run between pages', async () => {
    const store = await longHistory(new InMemoryEventStore(), 1600);
    // The in-memory store answers in microtasks: without a yield per page, no immediate would run until the end.
    let immediates = 0;
    let done = false;
    const count = () => {
      immediates++;
      if (!done) setImmediate(count);
    };
    setImmediate(count);
    await new DescribeKeyAsOfHandler(store, { now: () => T0 + 10_000_000 }).execute(new DescribeKeyAsOf(SCOPE, KEY_ID, T0 + 10_000_000));
    done = true;
    expect(immediates).toBeGreaterThanOrEqual(3); // four pages, three pauses
  });

  it('GetKeyHistory reads one page by range, whatever the history behind it', async () => {
    const store = await longHistory(new RecordingStore(), 1200);
    const handler = new GetKeyHistoryHandler(store, executorOn(store));
    await handler.execute(new GetKeyHistory(SCOPE, KEY_ID, { limit: 1 })); // warms the key state
    store.reads = [];

    const page = await handler.execute(new GetKeyHistory(SCOPE, KEY_ID, { limit: 100, afterRevision: 899 }));

    expect(page.entries.map((e) => e.revision)).toEqual(Array.from({ length: 100 }, (_, i) => 900 + i));
    expect(page).toMatchObject({ revision: 1199, nextAfterRevision: 999 });
    expect(store.reads).toEqual([{ fromRevision: 1200, maxCount: 1000 }, { fromRevision: 900, maxCount: 100 }]);
    const lastPage = await handler.execute(new GetKeyHistory(SCOPE, KEY_ID, { limit: 100, afterRevision: 1099 }));
    expect(lastPage.entries).toHaveLength(100);
    expect(lastPage.nextAfterRevision).toBeUndefined();
    expect((await handler.execute(new GetKeyHistory(SCOPE, KEY_ID, { limit: 100, afterRevision: 1199 }))).entries).toEqual([]);
  });
});
