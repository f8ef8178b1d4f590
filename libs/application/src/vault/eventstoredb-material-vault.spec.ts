import { randomBytes } from 'node:crypto';
import { EventStoreDBClient, FORWARDS, START } from '@eventstore/db-client';
import { MasterKey, MaterialSealer } from '@keyledger/crypto';
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

  async function openVault(key = masterKey): Promise<EventStoreDbMaterialVault> {
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
});

async function readStream(client: EventStoreDBClient, stream: string): Promise<unknown[]> {
  const out = [];
  for await (const resolved of client.readStream(stream)) out.push(resolved);
  return out;
}
