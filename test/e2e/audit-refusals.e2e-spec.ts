import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  CreateKeyCommand,
  DeleteImportedKeyMaterialCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  ImportKeyMaterialCommandInput,
  KMSClient,
} from '@aws-sdk/client-kms';
import { AUDIT_LOG, AuditLog, AuditRecord } from '@keyledger/application';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { eventually, LoggedEvent, readEventLog } from '../support/event-log';
import { expectKmsError, wrapped } from '../support/kms-error-assertions';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';

const ACCOUNT = '000000000000';
const DAY = 24 * 60 * 60 * 1000;
const noExpiry = { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' } as const;
const arnOf = (keyId: string, account = ACCOUNT) => `arn:aws:kms:us-east-1:${account}:key/${keyId}`;

/**
 * Refused security-relevant requests land in the audit trail (kms-refusals-<keyId> streams and the audit read
 * model) with who, when, what and why, never with tokens or material, and never in the key's own stream.
 */
describe('audit trail: refused requests', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  /** Every blob sent in a refused request; none may appear in the log or the read models. */
  const secrets: Buffer[] = [];

  beforeAll(async () => {
    kl = await startKeyledger();
    kms = kl.client({ accessKeyId: 'AKIAAUDITTEST' });
  });
  afterAll(() => kl.destroy());

  const refusalsOf = (keyId: string) => readEventLog(kl.dataDir, `kms-refusals-${keyId}`);
  const keyStream = (keyId: string) => readEventLog(kl.dataDir, `kms-key-${keyId}`);
  const send = (input: ImportKeyMaterialCommandInput) => {
    secrets.push(Buffer.from(input.ImportToken!), Buffer.from(input.EncryptedKeyMaterial!));
    return kms.send(new ImportKeyMaterialCommand(input));
  };

  /** Runs a refusal and returns the one refusal event it recorded, checking the key's stream did not change. */
  async function refusal(keyId: string, refuse: () => Promise<unknown>): Promise<LoggedEvent> {
    const stream = keyStream(keyId);
    const before = refusalsOf(keyId).length;
    await refuse();
    expect(keyStream(keyId)).toEqual(stream); // the key's revision (its REST ETag) is unchanged
    const after = refusalsOf(keyId);
    expect(after).toHaveLength(before + 1);
    return after[after.length - 1];
  }

  it('records an import with another key\'s token: who, when, what (token id, not token) and why', async () => {
    const key = await createExternalKey(kms);
    const other = await createExternalKey(kms);
    const material = randomBytes(32);
    secrets.push(material);
    const { params, ImportToken, EncryptedKeyMaterial } = await wrapped(kms, other.KeyId!, material);
    const issued = keyStream(other.KeyId!).find((e) => e.type === 'ImportParametersIssued.v1')!;
    const started = Date.now();

    const event = await refusal(key.KeyId!, () =>
      expectKmsError(
        send({ KeyId: arnOf(key.KeyId!), ImportToken, EncryptedKeyMaterial, ...noExpiry }),
        'InvalidImportTokenException',
        'The import token is invalid or is associated with a different KMS key.',
      ),
    );
    expect(event.type).toBe('RequestRefused.v1');
    expect(event.metadata).toMatchObject({
      accountId: ACCOUNT,
      region: 'us-east-1',
      principal: { type: 'User', accountId: ACCOUNT, accessKeyId: 'AKIAAUDITTEST' },
      requestId: expect.any(String),
      operation: 'ImportKeyMaterial',
    });
    expect(Date.parse(event.metadata.timestamp)).toBeGreaterThanOrEqual(started - 1000);
    expect(event.data).toEqual({
      operation: 'ImportKeyMaterial',
      keyId: key.KeyId,
      requestedKeyId: arnOf(key.KeyId!),
      parameters: {
        expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        importTokenId: issued.data.importTokenId,
        importTokenKeyArn: params.KeyId,
        wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
        wrappingKeySpec: 'RSA_2048',
        importTokenValidTo: new Date(params.ParametersValidTo!).toISOString(),
      },
      errorType: 'InvalidImportTokenException',
      errorMessage: 'The import token is invalid or is associated with a different KMS key.',
      keyRevision: 0,
    });
  });

  it('records tampered and expired tokens, undecryptable and misfitting material, and different material on reimport', async () => {
    const key = await createExternalKey(kms);
    type Attempt = Pick<ImportKeyMaterialCommandInput, 'ImportToken' | 'EncryptedKeyMaterial' | 'ImportType'>;
    const attempt = async (material: Buffer): Promise<Attempt> => {
      const { ImportToken, EncryptedKeyMaterial } = await wrapped(kms, key.KeyId!, material);
      return { ImportToken, EncryptedKeyMaterial };
    };
    const refusedAs = async (input: () => Promise<Attempt>, type: string) => {
      const request = { KeyId: key.KeyId!, ...noExpiry, ...(await input()) };
      const event = await refusal(key.KeyId!, () => send(request).then(() => Promise.reject(new Error('not refused')), (e: Error) => expect(e.name).toBe(type)));
      expect(event.data).toMatchObject({ operation: 'ImportKeyMaterial', keyId: key.KeyId, errorType: type });
      return event;
    };

    const tampered = await refusedAs(async () => {
      const { ImportToken, EncryptedKeyMaterial } = await attempt(randomBytes(32));
      const token = Buffer.from(ImportToken!);
      token[token.length - 1] ^= 1;
      return { ImportToken: token, EncryptedKeyMaterial };
    }, 'InvalidImportTokenException');
    expect(tampered.data.parameters).not.toHaveProperty('importTokenId'); // an unreadable token names nothing

    const expiring = await attempt(randomBytes(32));
    kl.clock.advance(DAY + 1000);
    const expired = await refusedAs(async () => expiring, 'ExpiredImportTokenException');
    expect(expired.data.parameters).toMatchObject({ importTokenId: expect.any(String), wrappingAlgorithm: 'RSAES_OAEP_SHA_256' });

    await refusedAs(async () => ({ ...(await attempt(randomBytes(32))), EncryptedKeyMaterial: randomBytes(256) }), 'InvalidCiphertextException');
    await refusedAs(() => attempt(randomBytes(16)), 'IncorrectKeyMaterialException');

    const first = randomBytes(32);
    secrets.push(first);
    await importMaterial(kms, key.KeyId!, first);
    const different = await refusedAs(async () => ({ ...(await attempt(randomBytes(32))), ImportType: 'EXISTING_KEY_MATERIAL' }), 'IncorrectKeyMaterialException');
    expect(different.data.parameters).toMatchObject({ importType: 'EXISTING_KEY_MATERIAL' });
  });

  it('records an operation in the wrong key state and on a key whose origin is not EXTERNAL', async () => {
    const key = await createExternalKey(kms);
    await importMaterial(kms, key.KeyId!, randomBytes(32));
    await importMaterial(kms, key.KeyId!, randomBytes(32), { import: { ImportType: 'NEW_KEY_MATERIAL' } }); // pending rotation
    const { ImportToken, EncryptedKeyMaterial } = await wrapped(kms, key.KeyId!, randomBytes(32));
    const state = await refusal(key.KeyId!, () => send({ KeyId: key.KeyId!, ImportToken, EncryptedKeyMaterial, ...noExpiry, ImportType: 'NEW_KEY_MATERIAL' }).catch((e: Error) => expect(e.name).toBe('KMSInvalidStateException')));
    expect(state.data).toMatchObject({ errorType: 'KMSInvalidStateException', keyRevision: 5 });

    const generated = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const origin = await refusal(generated.KeyId!, () =>
      expectKmsError(
        kms.send(new GetParametersForImportCommand({ KeyId: generated.KeyId, WrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256', WrappingKeySpec: 'RSA_4096' })),
        'UnsupportedOperationException',
        `${arnOf(generated.KeyId!)} origin is AWS_KMS which is not valid for this operation.`,
      ),
    );
    expect(origin.data).toMatchObject({ operation: 'GetParametersForImport', parameters: { wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256', wrappingKeySpec: 'RSA_4096' } });
    expect(origin.metadata.operation).toBe('GetParametersForImport');
  });

  it("records keys not found, including probes of another account's key (by key id or by ARN), under that key id", async () => {
    const owner = kl.client({ accessKeyId: '111111111111' });
    const prober = kl.client({ accessKeyId: '222222222222' });
    const victim = await createExternalKey(owner);
    await expectKmsError(prober.send(new DeleteImportedKeyMaterialCommand({ KeyId: victim.KeyId })), 'NotFoundException', `Key '${arnOf(victim.KeyId!, '222222222222')}' does not exist`);
    await expectKmsError(prober.send(new DeleteImportedKeyMaterialCommand({ KeyId: victim.Arn })), 'NotFoundException', `Key '${victim.Arn}' does not exist`);
    const probes = refusalsOf(victim.KeyId!);
    expect(probes.map((e) => [e.metadata.principal.accessKeyId, e.metadata.accountId, e.data.requestedKeyId, e.data.errorType])).toEqual([
      ['222222222222', '222222222222', victim.KeyId, 'NotFoundException'],
      ['222222222222', '222222222222', victim.Arn, 'NotFoundException'],
    ]);
    expect(keyStream(victim.KeyId!)).toHaveLength(1);

    const missing = randomUUID();
    await expectKmsError(kms.send(new GetParametersForImportCommand({ KeyId: missing, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' })), 'NotFoundException', /does not exist/);
    expect(refusalsOf(missing)).toHaveLength(1);
    expect(keyStream(missing)).toEqual([]);

    // An identifier that names no key id is filed under the caller's account.
    await expectKmsError(kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: 'alias/nope' })), 'NotFoundException', "Invalid keyId 'alias/nope'");
    expect(readEventLog(kl.dataDir, `kms-refusals-account-${ACCOUNT}`).map((e) => e.data.requestedKeyId)).toContain('alias/nope');
  });

  it('does not record plain validation errors (the request broke an API rule, not a key rule)', async () => {
    const key = await createExternalKey(kms);
    const { ImportToken, EncryptedKeyMaterial } = await wrapped(kms, key.KeyId!, randomBytes(32));
    await expectKmsError(
      send({ KeyId: key.KeyId!, ImportToken, EncryptedKeyMaterial, ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: new Date(kl.clock.now() - 1000) }),
      'ValidationException',
      'The validTo date must be in the future.',
    );
    expect(refusalsOf(key.KeyId!)).toEqual([]);
  });

  it('serves refusals and key events from the audit read model (AUDIT_LOG), filterable by key, type and principal', async () => {
    const audit = kl.app.get<AuditLog>(AUDIT_LOG);
    const key = await createExternalKey(kms);
    await expectKmsError(send({ KeyId: key.KeyId!, ImportToken: randomBytes(64), EncryptedKeyMaterial: randomBytes(256), ...noExpiry }), 'InvalidImportTokenException', /invalid/);
    const records = await eventually(
      async () => (await audit.query({ keyId: key.KeyId!, limit: 10 })).records,
      (r: AuditRecord[]) => r.length === 2,
    );
    expect(records.map((r) => [r.type, r.outcome])).toEqual([
      ['KeyCreated.v1', 'Succeeded'],
      ['RequestRefused.v1', 'Refused'],
    ]);
    expect(records[1]).toMatchObject({
      streamId: `kms-refusals-${key.KeyId}`,
      keyId: key.KeyId,
      operation: 'ImportKeyMaterial',
      principal: { accessKeyId: 'AKIAAUDITTEST' },
      errorType: 'InvalidImportTokenException',
      errorMessage: 'The import token is invalid or is associated with a different KMS key.',
    });
    const refusedByMe = await audit.query({ type: 'RequestRefused.v1', principal: 'AKIAAUDITTEST', limit: 1000 });
    expect(refusedByMe.records.length).toBeGreaterThanOrEqual(10);
    expect(refusedByMe.records.every((r) => r.outcome === 'Refused' && r.principal?.accessKeyId === 'AKIAAUDITTEST')).toBe(true);
  });

  it('keeps every token and every piece of material out of the log and the read models', async () => {
    const events = new Database(join(kl.dataDir, 'events.sqlite'), { readonly: true });
    const readModels = new Database(join(kl.dataDir, 'read-models.sqlite'), { readonly: true });
    try {
      const cells = [
        ...(events.prepare('SELECT data, metadata FROM events').all() as Array<Record<string, string>>).flatMap((r) => [r.data, r.metadata]),
        // Every row of every read-model table (the audit index holds no copy of the events, but other tables hold text).
        ...(readModels.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]).map((table) => JSON.stringify(readModels.prepare(`SELECT * FROM "${table}"`).all())),
      ].join('\n');
      expect(cells).toContain('RequestRefused.v1');
      expect(secrets.length).toBeGreaterThanOrEqual(20);
      for (const secret of secrets) {
        for (const encoded of [secret.toString('base64'), secret.toString('hex'), secret.subarray(0, 24).toString('base64')]) expect(cells).not.toContain(encoded);
      }
    } finally {
      events.close();
      readModels.close();
    }
  });
});
