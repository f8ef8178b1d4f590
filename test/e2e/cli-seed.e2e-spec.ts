import { DecryptCommand, DeleteImportedKeyMaterialCommand, DescribeKeyCommand, EncryptCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeKeyMaterialId, decryptWithKeyMaterial } from '@keyledger/crypto';
import { runCli, runCliOk } from '../../apps/kms-cli/testing/run-cli';
import { readChanges, readEventLog } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { freePort } from '../support/service-process';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** `keyledger seed` as a separate process against a running service: known material, through the real import flow. */
describe('keyledger seed', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  const dir = mkdtempSync(join(tmpdir(), 'keyledger-cli-seed-'));
  const symmetric = randomBytes(32);
  const hmac = randomBytes(32);
  const ecc = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const rsaDer = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'der' });
  /** What each key must hold: the bytes the service receives (PEM files are sent as PKCS#8 DER). */
  const expectedMaterial: Record<string, Buffer> = {
    'orders-a': symmetric,
    'orders-b': symmetric,
    webhooks: hmac,
    'release-signing': ecc.export({ type: 'pkcs8', format: 'der' }),
    'legacy-rsa': rsaDer,
  };
  const seedFile = join(dir, 'seed.json');
  const outFile = join(dir, 'seeded.json');
  const seeded = () => JSON.parse(readFileSync(outFile, 'utf8')) as { keys: Array<Record<string, string>> };
  const keyIdOf = (description: string) => seeded().keys.find((k) => k.description === description)!.keyId;
  const seed = (file = seedFile) => runCli(['seed', file, '--endpoint-url', kl.url, '--out', outFile]);

  beforeAll(async () => {
    kl = await startKeyledger();
    kms = kl.client();
    writeFileSync(join(dir, 'signing.pem'), ecc.export({ type: 'sec1', format: 'pem' })); // SEC1 PEM: seed converts it
    writeFileSync(join(dir, 'rsa.der'), rsaDer);
    const file = {
      endpoint: 'http://127.0.0.1:9', // overridden by --endpoint-url
      region: 'us-east-1',
      keys: [
        { description: 'orders-a', material: { hex: symmetric.toString('hex') }, validTo: '+30d' },
        { description: 'orders-b', keySpec: 'SYMMETRIC_DEFAULT', material: { base64: symmetric.toString('base64') } },
        { description: 'webhooks', keySpec: 'HMAC_256', material: { base64: hmac.toString('base64') } },
        { description: 'release-signing', keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY', material: { pkcs8File: 'signing.pem' } },
        { description: 'legacy-rsa', keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT', material: { pkcs8File: 'rsa.der' } },
      ],
    };
    writeFileSync(seedFile, JSON.stringify(file, null, 2));
  });
  afterAll(async () => {
    await kl?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates every key (Origin=EXTERNAL) and imports its known material; prints and records the key ids', async () => {
    const run = await seed();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    const specs = ['SYMMETRIC_DEFAULT', 'SYMMETRIC_DEFAULT', 'HMAC_256', 'ECC_NIST_P256', 'RSA_2048'];
    lines.forEach((line, i) => {
      const { description, keyId, keyMaterialId } = seeded().keys[i];
      expect(line).toMatch(new RegExp(`^created {4}(${UUID}) {2}${specs[i]} +material ${keyMaterialId.slice(0, 8)}… {2}(expires \\S+|never expires) {2}"${description}"$`));
      expect(line).toContain(keyId);
    });

    for (const key of seeded().keys) {
      const material = expectedMaterial[key.description];
      expect(key.keyMaterialId).toBe(computeKeyMaterialId(key.keyId, material));
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.keyId }));
      expect(KeyMetadata).toMatchObject({ KeyState: 'Enabled', Origin: 'EXTERNAL', Description: key.description, KeySpec: key.keySpec });
    }
    const orders = (await kms.send(new DescribeKeyCommand({ KeyId: keyIdOf('orders-a') }))).KeyMetadata!;
    expect(orders.ExpirationModel).toBe('KEY_MATERIAL_EXPIRES');
    expect(Math.abs(orders.ValidTo!.getTime() - (Date.now() + 30 * 86_400_000))).toBeLessThan(60_000);
    expect(orders.CurrentKeyMaterialId).toBe(computeKeyMaterialId(orders.KeyId!, symmetric));
  });

  it('the seeded symmetric keys really encrypt with the known bytes: their ciphertexts open locally with that material', async () => {
    for (const description of ['orders-a', 'orders-b']) {
      const plaintext = Buffer.from(`secret for ${description}`);
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: keyIdOf(description), Plaintext: plaintext }));
      const opened = decryptWithKeyMaterial({ ciphertext: Buffer.from(CiphertextBlob!), material: symmetric, encryptionContext: {} });
      expect(opened).toEqual(plaintext);
      expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob }))).Plaintext!)).toEqual(plaintext);
    }
  });

  it('is idempotent: a second run finds the keys by description and changes nothing', async () => {
    const ids = seeded().keys.map((k) => k.keyId);
    const eventsBefore = readChanges(kl.dataDir).length;
    const run = await seed();
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n').map((line) => line.split(/ +/).slice(0, 2))).toEqual(ids.map((id) => ['unchanged', id]));
    expect(seeded().keys.map((k) => [k.action, k.keyId])).toEqual(ids.map((id) => ['unchanged', id]));
    expect(readChanges(kl.dataDir)).toHaveLength(eventsBefore);
    expect((await kms.send(new ListKeysCommand({}))).Keys).toHaveLength(5);
  });

  it('gives the same material back to a key whose material was deleted', async () => {
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyIdOf('orders-b') }));
    const run = await seed();
    expect(run.code).toBe(0);
    expect(seeded().keys.map((k) => k.action)).toEqual(['unchanged', 'imported', 'unchanged', 'unchanged', 'unchanged']);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyIdOf('orders-b') }))).KeyMetadata!.KeyState).toBe('Enabled');
  });

  it('refuses when the description belongs to a key holding other material, and creates nothing', async () => {
    const clash = join(dir, 'clash.json');
    writeFileSync(clash, JSON.stringify({ keys: [{ description: 'orders-a', material: { hex: randomBytes(32).toString('hex') } }] }));
    const run = await runCli(['seed', clash, '--endpoint-url', kl.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^keyledger: keys\\[0\\] "orders-a": key ${keyIdOf('orders-a')} already holds different key material \\([0-9a-f]{64}\\)\\.\\n$`));
    expect((await kms.send(new ListKeysCommand({}))).Keys).toHaveLength(5);
  });

  it('reports mistakes in the seed file before sending anything', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ keys: [{ description: 'x', material: { hex: 'abcd' }, valid_to: '+1d' }] }));
    let run = await runCli(['seed', bad, '--endpoint-url', 'http://127.0.0.1:9']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('keyledger: seed file: keys[0]: unknown field valid_to (known: description, origin, keySpec, keyUsage, material, expirationModel, validTo, wrappingAlgorithm, wrappingKeySpec, aliases, tags, enabled, rotateOnDemand, rotationMaterial)\n');
    writeFileSync(bad, JSON.stringify({ keys: [{ description: 'short', material: { hex: 'abcd' } }] }));
    run = await runCli(['seed', bad, '--endpoint-url', 'http://127.0.0.1:9']);
    expect(run.stderr).toBe('keyledger: keys[0] "short": SYMMETRIC_DEFAULT key material must be 32 bytes, got 2.\n');
  });

  it('says so when no service answers at the endpoint', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const run = await runCli(['seed', seedFile, '--endpoint-url', endpoint]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`keyledger: existing keys: ListKeys: cannot reach ${endpoint} (ECONNREFUSED); is the service running?\n`);
  });
});
