import { randomBytes } from 'node:crypto';
import { EventStoreDBClient, FORWARDS, jsonEvent, START } from '@eventstore/db-client';
import { MasterKey, MaterialSealer, sealedMaterialMasterKeyId, type MasterKeyRing } from '@keyledger/crypto';
import {
  itWithDouble,
  startTestEventStoreDb,
  uniqueStreamPrefix,
  type TestEventStoreDb,
} from '../../../event-store/src/testing/eventstoredb-double/test-server';
import { EventStoreDbMaterialVault, MATERIAL_SEALED, MATERIAL_SHREDDED, materialContext } from './eventstoredb-material-vault';
import { MasterKeyMismatchError } from './sqlite-material-vault';

describe('EventStoreDbMaterialVault', () => {
  const masterKey = MasterKey.generate();
  let server: TestEventStoreDb;
  let client: EventStoreDBClient;
  let streamPrefix: string;
  const opened: EventStoreDbMaterialVault[] = [];

  async function openVault(key: MasterKey | MasterKeyRing = masterKey): Promise<EventStoreDbMaterialVault> {
    const vault = await EventStoreDbMaterialVault.open({ connectionString: server.connectionString, sealer: new MaterialSealer(key), streamPrefix });
    opened.push(vault);
    return vault;
  }

  /** Every event of the vault's streams in `$all`, deleted or not, as raw JSON text. */
  async function vaultEventsInLog(): Promise<Array<{ type: string; json: string }>> {
    const out = [];
    for await (const resolved of client.readAll({ direction: FORWARDS, fromPosition: START })) {
      const event = resolved.event;
      if (event?.streamId.startsWith(streamPrefix)) out.push({ type: event.type, json: JSON.stringify(event.data) });
    }
    return out;
  }

  beforeEach(async () => {
    server = await startTestEventStoreDb();
    client = EventStoreDBClient.connectionString(server.connectionString);
    streamPrefix = uniqueStreamPrefix('vault');
  });

  afterEach(async () => {
    for (const vault of opened.splice(0)) await vault.close();
    await client.dispose();
    await server.stop();
  });

  it('stores material sealed under the master key, never in clear, and returns it', async () => {
    const vault = await openVault();
    const material = randomBytes(32);

    await vault.put('key-1', 'm1', material, 1);

    expect(await vault.get('key-1', 'm1')).toEqual(material);
    expect(await vault.get('key-1', 'other')).toBeUndefined();
    expect(await vault.list()).toEqual([{ keyId: 'key-1', keyMaterialId: 'm1', revision: 1 }]);
    const log = await vaultEventsInLog();
    expect(log.map((e) => e.type)).toEqual([MATERIAL_SEALED]);
    for (const encoding of ['base64', 'hex'] as const) {
      expect(log.some((e) => e.json.includes(material.toString(encoding)))).toBe(false);
    }
  });

  it('seals with the SQLite vault’s context, so a blob opens only for its key and material', async () => {
    const vault = await openVault();
    const material = randomBytes(32);
    await vault.put('key-1', 'm1', material, 1);

    const [stored] = await vaultEventsInLog();
    const sealed = Buffer.from((JSON.parse(stored.json) as { sealed: string }).sealed, 'base64');

    expect(new MaterialSealer(masterKey).open(sealed, materialContext('key-1', 'm1'))).toEqual(material);
    expect(materialContext('key-1', 'm1')).toBe('kms-key/key-1/material/m1');
    expect(() => new MaterialSealer(masterKey).open(sealed, materialContext('key-2', 'm1'))).toThrow();
  });

  it('shreds only material stored by an earlier revision, so a late shred cannot remove a reimport', async () => {
    const vault = await openVault();
    const material = randomBytes(32);
    await vault.put('key-1', 'm1', material, 1);
    await vault.put('key-1', 'm1', material, 5); // reimported at revision 5

    await vault.shred('key-1', 'm1', 3); // a deletion recorded at revision 3, shredding late
    expect(await vault.get('key-1', 'm1')).toEqual(material);

    await vault.shred('key-1', 'm1', 6);
    expect(await vault.get('key-1', 'm1')).toBeUndefined();
    expect(await vault.list()).toEqual([]);
  });

  it('does not let an older put overwrite a newer one', async () => {
    const vault = await openVault();
    await vault.put('key-1', 'm1', Buffer.alloc(32, 1), 4);
    await vault.put('key-1', 'm1', Buffer.alloc(32, 2), 2);

    expect(await vault.list()).toEqual([{ keyId: 'key-1', keyMaterialId: 'm1', revision: 4 }]);
    expect(await vault.get('key-1', 'm1')).toEqual(Buffer.alloc(32, 1));
  });

  it('takes material back after a shred when it is imported again', async () => {
    const vault = await openVault();
    const material = randomBytes(32);
    await vault.put('key-1', 'm1', material, 1);
    await vault.shred('key-1', 'm1', 2);

    await vault.put('key-1', 'm1', material, 3);

    expect(await vault.get('key-1', 'm1')).toEqual(material);
    expect(await vault.list()).toEqual([{ keyId: 'key-1', keyMaterialId: 'm1', revision: 3 }]);
  });

  it('deletes the stream on shred, after a marker that carries no secret, and caps it at one event', async () => {
    const vault = await openVault();
    await vault.put('key/1', 'm1', randomBytes(32), 1);
    await vault.shred('key/1', 'm1', 2);
    await vault.shred('key/1', 'm1', 2); // idempotent

    const stream = `${streamPrefix}key%2F1/m1`;
    expect((await client.getStreamMetadata(stream)).metadata).toMatchObject({ maxCount: 1 });
    await expect(readStream(client, stream)).rejects.toMatchObject({ type: 'stream-not-found' });
    const log = await vaultEventsInLog();
    expect(log.map((e) => e.type)).toEqual([MATERIAL_SEALED, MATERIAL_SHREDDED]);
    expect(JSON.parse(log[1].json)).toEqual({ keyId: 'key/1', keyMaterialId: 'm1', revision: 2 });
  });

  itWithDouble('leaves the sealed blob in the log until a scavenge, and only the marker after it', async () => {
    const vault = await openVault();
    await vault.put('key-1', 'm1', randomBytes(32), 1);
    await vault.put('key-1', 'm1', randomBytes(32), 2);
    await vault.shred('key-1', 'm1', 3);
    expect((await vaultEventsInLog()).map((e) => e.type)).toEqual([MATERIAL_SEALED, MATERIAL_SEALED, MATERIAL_SHREDDED]);

    server.double!.scavenge();

    expect((await vaultEventsInLog()).map((e) => e.type)).toEqual([MATERIAL_SHREDDED]);
  });

  it('shares material between instances on one server', async () => {
    const first = await openVault();
    const second = await openVault();
    const material = randomBytes(32);

    await first.put('key-1', 'm1', material, 1);

    expect(await second.get('key-1', 'm1')).toEqual(material);
    await second.shred('key-1', 'm1', 2);
    expect(await first.get('key-1', 'm1')).toBeUndefined();
  });

  it('refuses to open over material sealed under another master key', async () => {
    const vault = await openVault();
    await vault.put('key-1', 'm1', randomBytes(32), 1);

    await expect(openVault(MasterKey.generate())).rejects.toThrow(MasterKeyMismatchError);
    expect(await (await openVault()).list()).toHaveLength(1);
  });

  describe('master key rotation', () => {
    const newKey = MasterKey.generate();
    const rotating = { current: newKey, previous: [masterKey] };

    /** The master key id in the header of every sealed blob of the stream in `$all`, deleted or not, in order. */
    async function blobsOf(keyId: string, keyMaterialId: string): Promise<Buffer[]> {
      const stream = `${streamPrefix}${keyId}/${keyMaterialId}`;
      const out: Buffer[] = [];
      for await (const resolved of client.readAll({ direction: FORWARDS, fromPosition: START })) {
        const event = resolved.event;
        if (event?.streamId === stream && event.type === MATERIAL_SEALED) out.push(Buffer.from((event.data as { sealed: string }).sealed, 'base64'));
      }
      return out;
    }

    it('opens over material sealed under a previous key of the ring, and counts material per master key id', async () => {
      const old = await openVault();
      await old.put('key-1', 'm1', randomBytes(32), 1);
      await old.put('key-2', 'm1', randomBytes(32), 1);

      const vault = await openVault(rotating);
      await vault.put('key-3', 'm1', randomBytes(32), 1);

      expect(await vault.countByMasterKeyId()).toEqual({ [masterKey.id]: 2, [newKey.id]: 1 });
      await expect(openVault(newKey)).rejects.toThrow(new RegExp(`sealed under master key\\(s\\) ${masterKey.id}`));
      await expect(openVault({ current: MasterKey.generate(), previous: [newKey] })).rejects.toThrow(MasterKeyMismatchError);
    });

    it('re-seals live material under the current key, never brings back shredded material, and leaves old blobs only under the old key', async () => {
      const old = await openVault();
      const live = randomBytes(32);
      const deleted = randomBytes(32);
      const halfShredded = randomBytes(32);
      await old.put('key-1', 'm1', live, 4);
      await old.put('key-2', 'm1', deleted, 1);
      await old.shred('key-2', 'm1', 2);
      await old.put('key-3', 'm1', halfShredded, 1);
      // A shred that stopped between its marker and the delete.
      await client.appendToStream(`${streamPrefix}key-3/m1`, jsonEvent({ type: MATERIAL_SHREDDED, data: { keyId: 'key-3', keyMaterialId: 'm1', revision: 2 } }));

      const vault = await openVault(rotating);
      await vault.put('key-4', 'm1', randomBytes(32), 1); // already under the new key
      const report = await vault.resealUnderCurrentMasterKey();

      expect(report).toEqual({ toMasterKeyId: newKey.id, fromMasterKeyIds: [masterKey.id], rewrapped: [{ keyId: 'key-1', keyMaterialId: 'm1' }], remaining: 0 });
      expect(await vault.countByMasterKeyId()).toEqual({ [newKey.id]: 2 });
      expect(await vault.list()).toEqual(expect.arrayContaining([{ keyId: 'key-1', keyMaterialId: 'm1', revision: 4 }]));
      await expect(readStream(client, `${streamPrefix}key-2/m1`)).rejects.toMatchObject({ type: 'stream-not-found' });
      expect(await vault.get('key-3', 'm1')).toBeUndefined();

      // Independently: the latest blob opens under the new key alone; every old blob, live or deleted, only under the old key.
      const [oldLive, newLive] = await blobsOf('key-1', 'm1');
      expect(sealedMaterialMasterKeyId(newLive)).toBe(newKey.id);
      expect(new MaterialSealer(newKey).open(newLive, materialContext('key-1', 'm1'))).toEqual(live);
      expect(new MaterialSealer(masterKey).open(oldLive, materialContext('key-1', 'm1'))).toEqual(live);
      const [oldDeleted, ...none] = await blobsOf('key-2', 'm1');
      expect(none).toEqual([]);
      expect(() => new MaterialSealer(newKey).open(oldDeleted, materialContext('key-2', 'm1'))).toThrow();
      expect(new MaterialSealer(masterKey).open(oldDeleted, materialContext('key-2', 'm1'))).toEqual(deleted);
      expect(await blobsOf('key-3', 'm1')).toHaveLength(1);

      // The new key alone opens the vault and the material; a second run has nothing to do.
      expect(await (await openVault(newKey)).get('key-1', 'm1')).toEqual(live);
      expect(await vault.resealUnderCurrentMasterKey()).toEqual({ toMasterKeyId: newKey.id, fromMasterKeyIds: [], rewrapped: [], remaining: 0 });
    });

    it('lets shreds and puts that run during a re-seal win, and never revives a shredded stream', async () => {
      const old = await openVault();
      const ids = Array.from({ length: 12 }, (_, i) => `key-${i}`);
      for (const id of ids) await old.put(id, 'm1', randomBytes(32), 1);
      const other = await openVault(rotating); // another instance, serving
      const reimported = randomBytes(32);
      const racing: Array<Promise<void>> = [];
      // While the re-seal handles one material, the other instance shreds or re-imports the next one.
      const sealer = new (class extends MaterialSealer {
        override open(sealed: Buffer, context: string): Buffer {
          const next = ids.indexOf(/kms-key\/(key-\d+)\//.exec(context)![1]) + 1;
          if (next < ids.length && next % 3 !== 2) {
            racing.push(next % 3 === 0 ? other.shred(ids[next], 'm1', 2) : other.put(ids[next], 'm1', reimported, 2));
          }
          return super.open(sealed, context);
        }
      })(rotating);
      const vault = await EventStoreDbMaterialVault.open({ connectionString: server.connectionString, sealer, streamPrefix });
      opened.push(vault);

      const report = await vault.resealUnderCurrentMasterKey();
      await Promise.all(racing);

      expect(racing.length).toBeGreaterThan(0);
      const final = await openVault(newKey);
      for (const [i, id] of ids.entries()) {
        if (i % 3 === 0 && i > 0) {
          expect(await final.get(id, 'm1')).toBeUndefined();
          await expect(readStream(client, `${streamPrefix}${id}/m1`)).rejects.toMatchObject({ type: 'stream-not-found' });
        } else if (i % 3 === 1) {
          expect(await final.get(id, 'm1')).toEqual(reimported);
        }
      }
      expect(report.remaining).toBe(0);
    });

    itWithDouble('once scavenged, keeps only the re-sealed blob of live material', async () => {
      const old = await openVault();
      await old.put('key-1', 'm1', randomBytes(32), 1);
      const vault = await openVault(rotating);
      await vault.resealUnderCurrentMasterKey();

      server.double!.scavenge();

      expect((await blobsOf('key-1', 'm1')).map(sealedMaterialMasterKeyId)).toEqual([newKey.id]);
    });
  });
});

async function readStream(client: EventStoreDBClient, stream: string): Promise<unknown[]> {
  const out = [];
  for await (const resolved of client.readStream(stream)) out.push(resolved);
  return out;
}
