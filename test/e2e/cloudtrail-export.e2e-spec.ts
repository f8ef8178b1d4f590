import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DisableKeyCommand,
  EncryptCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { main as keyledgerCli } from '../../apps/kms-cli/src/main';
import { wrapForImport } from '../support/client-wrapping';
import { eventually, readEventLog } from '../support/event-log';
import { expectKmsError } from '../support/kms-error-assertions';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';

/**
 * The fields of a KMS CloudTrail record, from kms-api-reference.md §13 (its 2025 ImportKeyMaterial example and the
 * text above it), less tlsDetails, sourceIPAddress and userAgent, which Keyledger does not record for callers.
 */
const REQUIRED = {
  eventVersion: 'string',
  userIdentity: 'object',
  eventTime: 'string',
  eventSource: 'string',
  eventName: 'string',
  awsRegion: 'string',
  requestParameters: 'object', // an object, or null
  responseElements: 'object', // an object, or null
  requestID: 'string',
  eventID: 'string',
  readOnly: 'boolean',
  resources: 'object',
  eventType: 'string',
  managementEvent: 'boolean',
  recipientAccountId: 'string',
  eventCategory: 'string',
} as const;
const OPTIONAL = new Set(['errorCode', 'errorMessage', 'serviceEventDetails', 'additionalEventData', 'sourceIPAddress', 'userAgent']);
const FILE_NAME = /^AWSLogs\/(\d{12})\/CloudTrail\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/\1_CloudTrail_\2_(\d{4})(\d{2})(\d{2})T(\d{2})00Z_[0-9A-F]{16}\.json\.gz$/;

type CloudTrailRecord = Record<string, any>;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

async function cli(...args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    return { code: await keyledgerCli(['node', 'keyledger', ...args]), stderr };
  } finally {
    spy.mockRestore();
  }
}

describe('keyledger export --format cloudtrail', () => {
  let service: RunningKeyledger;
  let out: string;
  const secrets: Record<string, string> = {};
  let keyId: string;
  let otherKeyId: string;

  beforeAll(async () => {
    service = await startKeyledger();
    out = mkdtempSync(join(tmpdir(), 'keyledger-cloudtrail-'));
    const kms = service.client();
    const material = randomBytes(32);
    const plaintext = Buffer.from(`cloudtrail plaintext ${randomBytes(8).toString('hex')}`);
    const key = (await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL', Description: 'cloudtrail', Tags: [{ TagKey: 'team', TagValue: 'audit' }] }))).KeyMetadata!;
    keyId = key.KeyId!;
    const params = await kms.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
    const wrapped = wrapForImport('RSAES_OAEP_SHA_256', params.PublicKey!, material);
    await kms.send(
      new ImportKeyMaterialCommand({ KeyId: keyId, ImportToken: params.ImportToken, EncryptedKeyMaterial: wrapped, ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: new Date(Date.now() + 3600_000) }),
    );
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/cloudtrail', TargetKeyId: keyId }));
    const context = { purpose: `context-value-${randomBytes(6).toString('hex')}` };
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: 'alias/cloudtrail', Plaintext: plaintext, EncryptionContext: context }));
    await kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));
    // Refused: this key's import token used for another key; and a use of a disabled key.
    const other = (await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }))).KeyMetadata!;
    otherKeyId = other.KeyId!;
    await expectKmsError(
      kms.send(new ImportKeyMaterialCommand({ KeyId: otherKeyId, ImportToken: params.ImportToken, EncryptedKeyMaterial: wrapped, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' })),
      'InvalidImportTokenException',
      /./,
    );
    const generated = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    await kms.send(new DisableKeyCommand({ KeyId: generated.KeyId }));
    await expectKmsError(kms.send(new EncryptCommand({ KeyId: generated.KeyId, Plaintext: plaintext })), 'DisabledException', /./);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: otherKeyId, PendingWindowInDays: 7 }));
    // Two hours later (the service clock): the material expires, recorded by the service: a second hour's file.
    service.clock.advance(2 * 3600_000);
    await eventually(() => readEventLog(service.dataDir).some((e) => e.type === 'KeyMaterialExpired.v1'), Boolean);
    Object.assign(secrets, {
      materialHex: material.toString('hex'),
      materialBase64: material.toString('base64'),
      wrapped: Buffer.from(wrapped).toString('base64'),
      importToken: Buffer.from(params.ImportToken!).toString('base64'),
      publicKey: Buffer.from(params.PublicKey!).toString('base64'),
      plaintext: plaintext.toString(),
      plaintextBase64: plaintext.toString('base64'),
      ciphertext: Buffer.from(CiphertextBlob!).toString('base64'),
      contextValue: context.purpose,
    });
    kms.destroy();
    await service.stop(); // usage flushed, final digest signed
  }, 60_000);

  afterAll(async () => {
    await service.destroy();
    rmSync(out, { recursive: true, force: true });
  });

  let files: Array<{ path: string; text: string; records: CloudTrailRecord[] }>;
  let records: CloudTrailRecord[];

  it('writes hourly {"Records":[...]} files named and laid out as CloudTrail delivers them', async () => {
    const run = await cli('export', '--data-dir', service.dataDir, '--format', 'cloudtrail', '--out', out);
    expect(run.code).toBe(0);
    files = filesUnder(out).map((path) => {
      const text = gunzipSync(readFileSync(path)).toString('utf8');
      return { path: relative(out, path), text, records: JSON.parse(text).Records };
    });
    records = files.flatMap((f) => f.records);
    expect(run.stderr).toBe(`exported ${records.length} CloudTrail records in ${files.length} file(s) to ${out}\n`);
    expect(files.length).toBeGreaterThanOrEqual(2); // the expiry two hours later is in another hour's file
    for (const file of files) {
      expect(Object.keys(JSON.parse(file.text))).toEqual(['Records']);
      const match = FILE_NAME.exec(file.path)!;
      expect(match).not.toBeNull();
      const hour = `${match[6]}-${match[7]}-${match[8]}T${match[9]}`;
      expect(`${match[3]}-${match[4]}-${match[5]}`).toBe(hour.slice(0, 10));
      for (const record of file.records) {
        expect(record.eventTime.slice(0, 13)).toBe(hour);
        expect(record.recipientAccountId).toBe(match[1]);
        expect(record.awsRegion).toBe(match[2]);
      }
    }
  });

  it('every record has the fields of §13, with their types and fixed values, and nothing else', () => {
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      for (const [field, type] of Object.entries(REQUIRED)) expect({ field, type: typeof record[field] }).toEqual({ field, type });
      for (const field of Object.keys(record)) expect(field in REQUIRED || OPTIONAL.has(field) ? field : `unexpected ${field}`).toBe(field);
      expect(record).toMatchObject({ eventVersion: '1.11', eventSource: 'kms.amazonaws.com', managementEvent: true, eventCategory: 'Management' });
      expect(record.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(record.eventID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(['AwsApiCall', 'AwsServiceEvent']).toContain(record.eventType);
      for (const resource of record.resources) expect(resource).toEqual({ accountId: record.recipientAccountId, type: 'AWS::KMS::Key', ARN: expect.stringMatching(/^arn:aws:kms:us-east-1:000000000000:key\//) });
      if (record.eventType === 'AwsApiCall') expect(record.userIdentity).toMatchObject({ accountId: '000000000000', accessKeyId: 'test' });
    }
    expect(new Set(records.map((r) => r.eventID)).size).toBe(records.length);
  });

  it('maps the import flow as §13 shows it', () => {
    const arn = `arn:aws:kms:us-east-1:000000000000:key/${keyId}`;
    const of = (name: string) => records.filter((r) => r.eventName === name && r.resources.some((x: { ARN: string }) => x.ARN === arn));
    expect(of('CreateKey')).toHaveLength(1);
    expect(of('CreateKey')[0]).toMatchObject({ readOnly: false, requestParameters: { origin: 'EXTERNAL', tags: [{ tagKey: 'team', tagValue: 'audit' }] }, responseElements: { keyMetadata: { keyId, arn } } });
    expect(of('GetParametersForImport')).toEqual([
      expect.objectContaining({ readOnly: true, eventType: 'AwsApiCall', requestParameters: { keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' }, responseElements: null }),
    ]);
    const [imported] = of('ImportKeyMaterial').filter((r) => !r.errorCode);
    expect(imported).toMatchObject({ readOnly: false, requestParameters: { keyId, expirationModel: 'KEY_MATERIAL_EXPIRES', importType: 'NEW_KEY_MATERIAL' }, responseElements: { keyId: arn, keyMaterialId: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(imported.requestParameters.validTo).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2} [AP]M$/);
    const [expired] = of('DeleteExpiredKeyMaterial');
    expect(expired).toMatchObject({
      eventType: 'AwsServiceEvent',
      userIdentity: { accountId: '000000000000', invokedBy: 'AWS Internal' },
      sourceIPAddress: 'AWS Internal',
      userAgent: 'AWS Internal',
      requestParameters: null,
      responseElements: null,
      serviceEventDetails: { keyId, keyMaterialId: imported.responseElements.keyMaterialId },
    });
    expect(of('CreateAlias')[0].requestParameters).toEqual({ aliasName: 'alias/cloudtrail', targetKeyId: keyId });
    expect(of('Encrypt')).toEqual([expect.objectContaining({ readOnly: true, requestParameters: { keyId: arn }, additionalEventData: { keyMaterialId: imported.responseElements.keyMaterialId } })]);
    expect(of('Decrypt')).toHaveLength(1);
    expect(records.filter((r) => r.eventName === 'ScheduleKeyDeletion')[0].responseElements).toMatchObject({ keyState: 'PendingDeletion', pendingWindowInDays: 7 });
  });

  it('refused calls carry errorCode and errorMessage, and no response', () => {
    const refusedImport = records.find((r) => r.eventName === 'ImportKeyMaterial' && r.errorCode);
    expect(refusedImport).toMatchObject({ errorCode: 'InvalidImportTokenException', errorMessage: expect.any(String), responseElements: null, requestParameters: { keyId: otherKeyId } });
    expect(records.find((r) => r.eventName === 'Encrypt' && r.errorCode)).toMatchObject({ errorCode: 'DisabledException', readOnly: true });
  });

  it('holds no key material (plain or wrapped), import token, public key, plaintext, ciphertext or encryption context value', () => {
    const everything = files.map((f) => f.text).join('\n');
    for (const [name, secret] of Object.entries(secrets)) expect({ name, found: everything.includes(secret) }).toEqual({ name, found: false });
  });

  it('exports the same files again (stable names and ids), and only one key with --key', async () => {
    const again = mkdtempSync(join(tmpdir(), 'keyledger-cloudtrail-again-'));
    try {
      expect((await cli('export', '--data-dir', service.dataDir, '--format', 'cloudtrail', '--out', again)).code).toBe(0);
      expect(filesUnder(again).map((p) => relative(again, p)).sort()).toEqual(files.map((f) => f.path).sort());
      const onlyOne = join(again, 'one');
      expect((await cli('export', '--data-dir', service.dataDir, '--format', 'cloudtrail', '--out', onlyOne, '--key', otherKeyId)).code).toBe(0);
      const one = filesUnder(onlyOne).flatMap((p) => JSON.parse(gunzipSync(readFileSync(p)).toString()).Records as CloudTrailRecord[]);
      expect(one.map((r) => r.eventName).sort()).toEqual(['CreateKey', 'ImportKeyMaterial', 'ScheduleKeyDeletion']);
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
    expect((await cli('export', '--data-dir', service.dataDir, '--format', 'cloudtrail')).stderr).toContain('give it with --out <dir>');
  });
});
