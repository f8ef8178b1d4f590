import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  CreateKeyCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  KMSClient,
  ListKeysCommand,
} from '@aws-sdk/client-kms';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { materialFor } from '../support/client-wrapping';
import { describeKey, eventHead, expectKmsError, expectNoChange, wrapped } from '../support/kms-error-assertions';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';

/** Decrypt and CreateKey refusals, account/region isolation, and no plaintext material at rest outside the vault. */
describe('import errors: decrypt, CreateKey, isolation, leaks (AWS SDK)', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;

  beforeAll(async () => {
    kl = await startKeyledger();
    kms = kl.client();
  });
  afterAll(() => kl.destroy());

  const allKeyIds = async (client: KMSClient) => ((await client.send(new ListKeysCommand({ Limit: 1000 }))).Keys ?? []).map((k) => k.KeyId);

  // InvalidCiphertextException has no message (kms-api-reference.md §1.3: the body is {"__type": ...} alone); the
  // AWS SDK for JavaScript fills an absent message with its placeholder 'UnknownError'.
  const NO_MESSAGE = 'UnknownError';

  it('Decrypt refuses a wrong encryption context, a KeyId of another key, and garbage', async () => {
    const key = await createExternalKey(kms);
    const other = await createExternalKey(kms);
    await importMaterial(kms, key.KeyId!, randomBytes(32));
    await importMaterial(kms, other.KeyId!, randomBytes(32));
    const context = { purpose: 'e2e', tenant: 'a' };
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('secret'), EncryptionContext: context }));
    const decrypt = (input: Partial<ConstructorParameters<typeof DecryptCommand>[0]>) => kms.send(new DecryptCommand({ CiphertextBlob, ...input }));

    await expectKmsError(decrypt({ EncryptionContext: { purpose: 'e2e', tenant: 'b' } }), 'InvalidCiphertextException', NO_MESSAGE);
    await expectKmsError(decrypt({ EncryptionContext: { purpose: 'e2e' } }), 'InvalidCiphertextException', NO_MESSAGE);
    await expectKmsError(decrypt({}), 'InvalidCiphertextException', NO_MESSAGE);
    await expectKmsError(
      decrypt({ EncryptionContext: context, KeyId: other.KeyId }),
      'IncorrectKeyException',
      'The key ID in the request does not identify a CMK that can perform this operation.',
    );
    await expectKmsError(decrypt({ CiphertextBlob: randomBytes(120) }), 'InvalidCiphertextException', NO_MESSAGE);
    const flipped = Buffer.from(CiphertextBlob!);
    flipped[flipped.length - 1] ^= 0x80;
    await expectKmsError(decrypt({ CiphertextBlob: flipped, EncryptionContext: context }), 'InvalidCiphertextException', NO_MESSAGE);

    const ok = await decrypt({ EncryptionContext: context, KeyId: key.Arn });
    expect(Buffer.from(ok.Plaintext!).toString()).toBe('secret');
  });

  it('CreateKey refuses a non-symmetric KeySpec without KeyUsage and ML_DSA_44, creating nothing', async () => {
    const keysBefore = await allKeyIds(kms);
    const head = await eventHead(kl);
    for (const KeySpec of ['RSA_2048', 'HMAC_256', 'ECC_NIST_P256'] as const) {
      await expectKmsError(
        kms.send(new CreateKeyCommand({ KeySpec, Origin: 'EXTERNAL' })),
        'ValidationException',
        'You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.',
      );
    }
    await expectKmsError(
      kms.send(new CreateKeyCommand({ KeySpec: 'ML_DSA_44', KeyUsage: 'SIGN_VERIFY' })),
      'UnsupportedOperationException',
      'KeySpec ML_DSA_44 is not supported by this service.',
    );
    expect(await allKeyIds(kms)).toEqual(keysBefore);
    expect(await eventHead(kl)).toBe(head);
  });

  describe('isolation between accounts and regions', () => {
    const OWNER = '111111111111';
    let owner: KMSClient;
    beforeAll(() => (owner = kl.client({ accessKeyId: OWNER })));

    /** A key of account 111111111111 in us-east-1 with material and one ciphertext. */
    async function ownedKey() {
      const material = randomBytes(32);
      const key = await createExternalKey(owner);
      expect(key.Arn).toBe(`arn:aws:kms:us-east-1:${OWNER}:key/${key.KeyId}`);
      await importMaterial(owner, key.KeyId!, material);
      const ciphertext = (await owner.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('mine') }))).CiphertextBlob!;
      const stillWorks = async () => {
        expect((await describeKey(owner, key.KeyId!)).KeyState).toBe('Enabled');
        const dec = await owner.send(new DecryptCommand({ CiphertextBlob: ciphertext }));
        expect(Buffer.from(dec.Plaintext!).toString()).toBe('mine');
      };
      return { key, material, ciphertext, stillWorks };
    }

    it('a key of account 111111111111 is NotFound for account 000000000000 (access key `test`) and not listed', async () => {
      const { key, ciphertext, stillWorks } = await ownedKey();
      const mine = `Key 'arn:aws:kms:us-east-1:000000000000:key/${key.KeyId}' does not exist`;
      expect(await allKeyIds(owner)).toContain(key.KeyId);
      expect(await allKeyIds(kms)).not.toContain(key.KeyId);
      await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: key.KeyId })), 'NotFoundException', mine);
      await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: key.Arn })), 'NotFoundException', `Key '${key.Arn}' does not exist`);
      await expectKmsError(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') })), 'NotFoundException', mine);
      await expectKmsError(kms.send(new EncryptCommand({ KeyId: key.Arn, Plaintext: Buffer.from('x') })), 'NotFoundException', `Key '${key.Arn}' does not exist`);
      // Without a KeyId, a ciphertext of a key the caller cannot see gets AWS's access-denied answer (§0.2).
      await expectKmsError(
        kms.send(new DecryptCommand({ CiphertextBlob: ciphertext })),
        'AccessDeniedException',
        'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.',
      );
      await stillWorks();
    });

    const strangers = [
      ['account 000000000000', () => kl.client(), 'arn:aws:kms:us-east-1:000000000000'],
      ['region eu-west-1 of the same account', () => kl.client({ accessKeyId: OWNER, region: 'eu-west-1' }), `arn:aws:kms:eu-west-1:${OWNER}`],
    ] as const;

    it.each(strangers)('GetParametersForImport by bare key id from %s is NotFound and records nothing', async (_name, stranger, scope) => {
      const { key, stillWorks } = await ownedKey();
      await expectNoChange(kl, owner, key.KeyId!, () =>
        expectKmsError(
          stranger().send(new GetParametersForImportCommand({ KeyId: key.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' })),
          'NotFoundException',
          `Key '${scope}:key/${key.KeyId}' does not exist`,
        ),
      );
      await stillWorks();
    });

    it.each(strangers)('DeleteImportedKeyMaterial by bare key id from %s is NotFound and deletes nothing', async (_name, stranger, scope) => {
      const { key, stillWorks } = await ownedKey();
      await expectNoChange(kl, owner, key.KeyId!, () =>
        expectKmsError(stranger().send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId })), 'NotFoundException', `Key '${scope}:key/${key.KeyId}' does not exist`),
      );
      await stillWorks();
    });

    it.each(strangers)("ImportKeyMaterial by bare key id from %s is NotFound, even with the owner's token", async (_name, stranger, scope) => {
      const { key, material, stillWorks } = await ownedKey();
      const { ImportToken, EncryptedKeyMaterial } = await wrapped(owner, key.KeyId!, material);
      await expectNoChange(kl, owner, key.KeyId!, () =>
        expectKmsError(
          stranger().send(new ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken, EncryptedKeyMaterial, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' })),
          'NotFoundException',
          `Key '${scope}:key/${key.KeyId}' does not exist`,
        ),
      );
      await stillWorks();
    });
  });

  it('no plaintext key material reaches the event log or the read models', async () => {
    const symmetric = randomBytes(32);
    const hmac = randomBytes(64);
    const ecc = materialFor('ECC_NIST_P256');
    const refused = randomBytes(16);
    const sym = await createExternalKey(kms);
    const imported = await importMaterial(kms, sym.KeyId!, symmetric);
    await importMaterial(kms, sym.KeyId!, symmetric, { import: { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: new Date(kl.clock.now() + 30 * 86_400_000) } });
    const hmacKey = await createExternalKey(kms, { KeySpec: 'HMAC_512', KeyUsage: 'GENERATE_VERIFY_MAC' });
    await importMaterial(kms, hmacKey.KeyId!, hmac);
    const eccKey = await createExternalKey(kms, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    await importMaterial(kms, eccKey.KeyId!, ecc, { wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256' });
    const refusedKey = await createExternalKey(kms);
    await expectKmsError(importMaterial(kms, refusedKey.KeyId!, refused), 'IncorrectKeyMaterialException', 'SYMMETRIC_DEFAULT key material must be 32 bytes, got 16.');

    const events = new Database(join(kl.dataDir, 'events.sqlite'), { readonly: true });
    const readModels = new Database(join(kl.dataDir, 'read-models.sqlite'), { readonly: true });
    const cells: Buffer[] = [];
    const collect = (value: unknown) => {
      if (Buffer.isBuffer(value)) cells.push(value);
      else if (value !== null && value !== undefined) cells.push(Buffer.from(String(value), 'utf8'), Buffer.from(String(value), 'latin1'));
    };
    try {
      const rows = events.prepare('SELECT data, metadata FROM events').all() as { data: string; metadata: string }[];
      // Sanity: we are reading the log these imports wrote.
      expect(rows.some((r) => r.data.includes(imported.KeyMaterialId!))).toBe(true);
      rows.forEach((r) => (collect(r.data), collect(r.metadata)));
      const tables = readModels.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
      expect(tables.map((t) => t.name)).toContain('key_summaries');
      for (const { name } of tables) {
        for (const row of readModels.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) Object.values(row).forEach(collect);
      }
    } finally {
      events.close();
      readModels.close();
    }
    expect(cells.length).toBeGreaterThan(10);
    // Positive control for the search itself: the key ids are there.
    for (const id of [sym.KeyId!, hmacKey.KeyId!, eccKey.KeyId!]) expect(cells.findIndex((cell) => cell.includes(Buffer.from(id)))).not.toBe(-1);
    // The raw database files (WAL included) too, in case something was written outside the rows read above.
    for (const file of readdirSync(kl.dataDir).filter((f) => /^(events|read-models)\.sqlite/.test(f))) cells.push(readFileSync(join(kl.dataDir, file)));

    for (const secret of [symmetric, hmac, ecc, refused]) {
      const needles = [secret, Buffer.from(secret.toString('hex')), Buffer.from(secret.toString('hex').toUpperCase())];
      // base64 at each of the three byte alignments, trimmed of the characters that depend on neighbouring bytes.
      for (const shift of [0, 1, 2]) {
        const b64 = Buffer.concat([Buffer.alloc(shift), secret]).toString('base64');
        const inner = b64.slice(4, -4);
        needles.push(Buffer.from(inner), Buffer.from(inner.replace(/\+/g, '-').replace(/\//g, '_')));
      }
      for (const needle of needles) {
        expect(cells.findIndex((cell) => cell.includes(needle))).toBe(-1);
      }
    }
  });
});
