import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterKey, MaterialSealer } from '@keyledger/crypto';
import { MasterKeyMismatchError, SqliteMaterialVault } from './sqlite-material-vault';

describe('SqliteMaterialVault', () => {
  let dir: string;
  let file: string;
  const masterKey = MasterKey.generate();
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keyledger-vault-'));
    file = join(dir, 'vault.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores material sealed, never in clear, and returns it', async () => {
    const vault = new SqliteMaterialVault(file, new MaterialSealer(masterKey));
    const material = randomBytes(32);
    await vault.put('key-1', 'm1', material, 1);
    expect(await vault.get('key-1', 'm1')).toEqual(material);
    expect(await vault.get('key-1', 'other')).toBeUndefined();
    vault.close();
    for (const name of ['vault.sqlite', 'vault.sqlite-wal']) {
      const bytes = (() => {
        try {
          return readFileSync(join(dir, name));
        } catch {
          return Buffer.alloc(0);
        }
      })();
      expect(bytes.includes(material)).toBe(false);
    }
  });

  it('shreds only material stored by an earlier revision, so a late shred cannot remove a reimport', async () => {
    const vault = new SqliteMaterialVault(file, new MaterialSealer(masterKey));
    const material = randomBytes(32);
    await vault.put('key-1', 'm1', material, 1);
    await vault.put('key-1', 'm1', material, 5); // reimported at revision 5
    await vault.shred('key-1', 'm1', 3); // a deletion recorded at revision 3, shredding late
    expect(await vault.get('key-1', 'm1')).toEqual(material);
    await vault.shred('key-1', 'm1', 6);
    expect(await vault.get('key-1', 'm1')).toBeUndefined();
    expect(await vault.list()).toEqual([]);
    vault.close();
  });

  it('does not let an older put overwrite a newer one', async () => {
    const vault = new SqliteMaterialVault(file, new MaterialSealer(masterKey));
    await vault.put('key-1', 'm1', Buffer.alloc(32, 1), 4);
    await vault.put('key-1', 'm1', Buffer.alloc(32, 2), 2);
    expect(await vault.list()).toEqual([{ keyId: 'key-1', keyMaterialId: 'm1', revision: 4, masterKeyId: masterKey.id }]);
    vault.close();
  });

  it('after a shred no file of the vault holds the sealed material, while the process still runs (no close, no checkpoint by SQLite)', async () => {
    const vault = new SqliteMaterialVault(file, new MaterialSealer(masterKey));
    const material = randomBytes(32);
    await vault.put('key-1', 'm1', material, 1);
    await vault.put('key-2', 'm2', randomBytes(32), 1); // a neighbour on the same page stays
    const sealed = new Database(file, { readonly: true }).prepare("SELECT sealed FROM sealed_materials WHERE key_id = 'key-1'").get() as { sealed: Buffer };
    // The sealed blob's ciphertext and tag: what an attacker with the master key would need to find.
    const secretPart = sealed.sealed.subarray(sealed.sealed.length - 48);
    await vault.shred('key-1', 'm1', 2);
    const files = readdirSync(dir).map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));
    expect(files.map((f) => f.name).sort()).toEqual(expect.arrayContaining(['vault.sqlite']));
    for (const { name, bytes } of files) {
      expect({ name, holdsSealedCopy: bytes.includes(secretPart) }).toEqual({ name, holdsSealedCopy: false });
    }
    expect(await vault.list()).toEqual([{ keyId: 'key-2', keyMaterialId: 'm2', revision: 1, masterKeyId: masterKey.id }]);
    vault.close();
  });

  it('refuses to open over material sealed under another master key', async () => {
    const vault = new SqliteMaterialVault(file, new MaterialSealer(masterKey));
    await vault.put('key-1', 'm1', randomBytes(32), 1);
    vault.close();
    expect(() => new SqliteMaterialVault(file, new MaterialSealer(MasterKey.generate()))).toThrow(MasterKeyMismatchError);
    const reopened = new SqliteMaterialVault(file, new MaterialSealer(masterKey));
    expect(await reopened.list()).toHaveLength(1);
    reopened.close();
  });

  describe('master key rotation', () => {
    const newKey = MasterKey.generate();
    const ring = () => new MaterialSealer({ current: newKey, previous: [masterKey] });
    const fileBytes = () => readdirSync(dir).map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));
    const header = (key: MasterKey) => Buffer.concat([Buffer.from([1]), Buffer.from(key.id, 'hex')]);

    it('accepts rows sealed under a previous key at start, still refuses foreign ones, and lists the master key id per row', async () => {
      const old = new SqliteMaterialVault(file, new MaterialSealer(masterKey));
      const material = randomBytes(32);
      await old.put('key-1', 'm1', material, 1);
      old.close();
      const rotating = new SqliteMaterialVault(file, ring());
      expect(await rotating.get('key-1', 'm1')).toEqual(material);
      await rotating.put('key-2', 'm2', randomBytes(32), 1);
      const listed = await rotating.list();
      expect(listed.map((row) => [row.keyId, row.masterKeyId]).sort()).toEqual([['key-1', masterKey.id], ['key-2', newKey.id]]);
      expect(rotating.countByMasterKeyId()).toEqual({ [masterKey.id]: 1, [newKey.id]: 1 });
      rotating.close();
      expect(() => new SqliteMaterialVault(file, new MaterialSealer(newKey))).toThrow(MasterKeyMismatchError);
      expect(() => new SqliteMaterialVault(file, new MaterialSealer({ current: newKey, previous: [MasterKey.generate()] }))).toThrow(MasterKeyMismatchError);
    });

    it('re-seals every previous-key row under the current key and leaves no old blob in any file', async () => {
      const old = new SqliteMaterialVault(file, new MaterialSealer(masterKey));
      const materials = [randomBytes(32), randomBytes(64), randomBytes(48)];
      for (const [i, material] of materials.entries()) await old.put(`key-${i}`, 'm', material, 1);
      old.close();
      const rotating = new SqliteMaterialVault(file, ring());
      const report = rotating.resealUnderCurrentMasterKey();
      expect(report).toMatchObject({ toMasterKeyId: newKey.id, fromMasterKeyIds: [masterKey.id], remaining: 0, walTruncated: true });
      expect(report.rewrapped).toHaveLength(3);
      expect(rotating.resealUnderCurrentMasterKey()).toMatchObject({ fromMasterKeyIds: [], rewrapped: [], remaining: 0 });
      for (const { name, bytes } of fileBytes()) expect({ name, holdsOldBlob: bytes.includes(header(masterKey)) }).toEqual({ name, holdsOldBlob: false });
      rotating.close();
      const onlyNew = new SqliteMaterialVault(file, new MaterialSealer(newKey));
      for (const [i, material] of materials.entries()) expect(await onlyNew.get(`key-${i}`, 'm')).toEqual(material);
      onlyNew.close();
    });

    it('lets a concurrent put win over a re-seal (compare-and-swap)', async () => {
      const old = new SqliteMaterialVault(file, new MaterialSealer(masterKey));
      await old.put('key-1', 'm1', randomBytes(32), 1);
      const rotating = new SqliteMaterialVault(file, ring());
      const statement = (rotating as unknown as { statements: { reseal: { run: (...args: unknown[]) => { changes: number } } } }).statements.reseal;
      const run = statement.run.bind(statement);
      const newer = randomBytes(32);
      // The running service (still on the old key here, to prove the row stays as it wrote it) writes in between.
      statement.run = (...args: unknown[]) => {
        void old.put('key-1', 'm1', newer, 2);
        return run(...args);
      };
      const report = rotating.resealUnderCurrentMasterKey();
      expect(report.rewrapped).toEqual([]);
      expect(report.remaining).toBe(1);
      expect(await rotating.get('key-1', 'm1')).toEqual(newer);
      old.close();
      rotating.close();
    });
  });
});
