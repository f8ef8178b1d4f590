import { randomBytes } from 'node:crypto';
import { KeyEventTypes, keyStreamId } from '@keyledger/domain';
import { AppendResult, EventStore, InMemoryEventStore, NewEvent } from '@keyledger/event-store';
import { KeyCommandExecutor } from './key-command-executor';
import { MaterialVault, ProjectionProgress } from './ports';
import { testRequestContext } from './testing/request-context';

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const ARN = `arn:aws:kms:us-east-1:000000000000:key/${KEY_ID}`;
const NOW = Date.parse('2026-11-22T10:00:00Z');
const MATERIAL_ID = 'a'.repeat(64);

const ctx = testRequestContext();

class RecordingVault implements MaterialVault {
  shredded: Array<[string, string, number]> = [];
  async put() {}
  async get() {
    return undefined;
  }
  async shred(keyId: string, keyMaterialId: string, revision: number) {
    this.shredded.push([keyId, keyMaterialId, revision]);
  }
  async list() {
    return [];
  }
}

const progress: ProjectionProgress = { waitForPosition: async () => true };

function executorOn(store: EventStore, vault = new RecordingVault()) {
  return new KeyCommandExecutor(store, { now: () => NOW }, vault, progress);
}

async function givenImportedKey(store: EventStore) {
  const executor = executorOn(store);
  await executor.execute(KEY_ID, { kind: 'CreateKey', keyId: KEY_ID, accountId: '000000000000', region: 'us-east-1', description: '', keySpec: 'SYMMETRIC_DEFAULT', origin: 'EXTERNAL', multiRegion: false }, ctx);
  await executor.execute(
    KEY_ID,
    {
      kind: 'ImportKeyMaterial',
      keyArn: ARN,
      token: { importTokenId: 't', keyArn: ARN, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048', parametersValidTo: NOW + 1000 },
      unwrap: { outcome: 'unwrapped', keyMaterialId: MATERIAL_ID },
      expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    },
    ctx,
  );
}

/** Lets a rival writer slip in between the executor's read and its append, once. */
class InterleavingStore extends InMemoryEventStore {
  rivalAppended = false;
  constructor(private readonly rival: (store: InMemoryEventStore) => Promise<void>) {
    super();
  }
  override async appendToStream(streamId: string, events: NewEvent[], expectedRevision: number): Promise<AppendResult> {
    if (!this.rivalAppended && events.some((e) => e.type === KeyEventTypes.KeyMaterialDeleted)) {
      this.rivalAppended = true;
      await this.rival(this);
    }
    return super.appendToStream(streamId, events, expectedRevision);
  }
}

describe('KeyCommandExecutor', () => {
  it('appends the decided events with metadata naming the caller, and shreds deleted material at its revision', async () => {
    const store = new InMemoryEventStore();
    await givenImportedKey(store);
    const vault = new RecordingVault();
    const result = await executorOn(store, vault).execute(KEY_ID, { kind: 'DeleteImportedKeyMaterial', keyArn: ARN }, ctx);
    const stream = await store.readStream(keyStreamId(KEY_ID));
    expect(stream.map((e) => e.type)).toEqual([KeyEventTypes.KeyCreated, KeyEventTypes.KeyMaterialImported, KeyEventTypes.KeyMaterialDeleted]);
    expect(stream[2].metadata).toMatchObject({ principal: { type: 'User', accessKeyId: 'test' }, requestId: 'req-1', operation: 'Test', timestamp: '2026-11-22T10:00:00.000Z' });
    expect(result.position).toBe(stream[2].position);
    expect(vault.shredded).toEqual([[KEY_ID, MATERIAL_ID, 2]]);
  });

  it('re-decides after a conflicting append: a delete racing another delete records one deletion', async () => {
    const store = new InterleavingStore(async (s) => {
      // The rival deletes first, at the revision the executor is about to use.
      await executorOn(s).execute(KEY_ID, { kind: 'DeleteImportedKeyMaterial', keyArn: ARN }, { ...ctx, requestId: 'rival' });
    });
    await givenImportedKey(store);
    const result = await executorOn(store).execute(KEY_ID, { kind: 'DeleteImportedKeyMaterial', keyArn: ARN }, ctx);
    expect(store.rivalAppended).toBe(true);
    // Re-decided against the rival's deletion: nothing left to delete, nothing appended.
    expect(result.decision.events).toEqual([]);
    const deletions = (await store.readStream(keyStreamId(KEY_ID))).filter((e) => e.type === KeyEventTypes.KeyMaterialDeleted);
    expect(deletions.map((e) => e.metadata.requestId)).toEqual(['rival']);
  });

  it('decides nothing and appends nothing when the command changes nothing', async () => {
    const store = new InMemoryEventStore();
    await givenImportedKey(store);
    const before = await store.headPosition();
    const result = await executorOn(store).execute(KEY_ID, { kind: 'ExpireKeyMaterial', keyArn: ARN }, ctx);
    expect(result.decision.events).toEqual([]);
    expect(result.position).toBeUndefined();
    expect(await store.headPosition()).toBe(before);
  });

  it('gives up with KMSInternalException when every attempt conflicts', async () => {
    const store = new InMemoryEventStore();
    await givenImportedKey(store);
    const alwaysConflicting = Object.assign(Object.create(store), {
      appendToStream: async (streamId: string, events: NewEvent[], expected: number) => {
        await store.appendToStream(streamId, [{ type: 'Noise.v1', data: { n: randomBytes(2).toString('hex') }, metadata: {} }], expected);
        return store.appendToStream(streamId, events, expected);
      },
    }) as EventStore;
    await expect(executorOn(alwaysConflicting).execute(KEY_ID, { kind: 'DeleteImportedKeyMaterial', keyArn: ARN }, ctx)).rejects.toMatchObject({
      type: 'KMSInternalException',
    });
  });
});

describe('KeyCommandExecutor with an expected revision (If-Match)', () => {
  it('refuses with StaleRevisionError when the key moved on, and appends when the revision matches', async () => {
    const store = new InMemoryEventStore();
    await givenImportedKey(store);
    const executor = executorOn(store);
    await expect(executor.execute(KEY_ID, { kind: 'DeleteImportedKeyMaterial', keyArn: ARN }, { ...ctx, expectedRevision: 0 })).rejects.toMatchObject({
      name: 'StaleRevisionError',
      expectedRevision: 0,
      actualRevision: 1,
    });
    expect((await store.readStream(keyStreamId(KEY_ID))).length).toBe(2);
    const result = await executor.execute(KEY_ID, { kind: 'DeleteImportedKeyMaterial', keyArn: ARN }, { ...ctx, expectedRevision: 1 });
    expect(result.revision).toBe(2);
  });
});

describe('KeyCommandExecutor and the read models', () => {
  it("waits for the read models to include a command's events, unless the command says readYourWrites: false", async () => {
    const store = new InMemoryEventStore();
    const waited: number[] = [];
    const executor = new KeyCommandExecutor(store, { now: () => NOW }, new RecordingVault(), { waitForPosition: async (position) => (waited.push(position), true) });
    const created = await executor.execute(KEY_ID, { kind: 'CreateKey', keyId: KEY_ID, accountId: '000000000000', region: 'us-east-1', description: '', keySpec: 'SYMMETRIC_DEFAULT', origin: 'AWS_KMS', multiRegion: false, generatedKeyMaterialId: MATERIAL_ID }, ctx);
    expect(waited).toEqual([created.position]);

    const disabled = await executor.execute(KEY_ID, { kind: 'DisableKey', keyArn: ARN }, ctx, { readYourWrites: false });
    expect(disabled.position).toBeGreaterThan(created.position!);
    expect(waited).toEqual([created.position]);
  });
});
