import { randomBytes } from 'node:crypto';
import {
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { AuditRecord } from '@keyledger/application';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { eventually, readEventLog } from '../support/event-log';
import { KmsFailure, wrapped } from '../support/kms-error-assertions';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { expectOk, expectProblem, restClient, sigV4 } from '../support/rest-client';
import { testPrincipalOf } from '../support/test-credentials';

const DAY = 24 * 60 * 60 * 1000;
const A = '111111111111';
const B = '111122223333';
const C = '222222222222';
const noExpiry = { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' } as const;
const INVALID_TOKEN = 'The import token is invalid or is associated with a different KMS key.';

/** Awaits a call that must be refused with `name`; returns the request id the caller was given. */
async function refused(call: Promise<unknown>, name: string): Promise<string> {
  const error = await call.then(
    () => {
      throw new Error(`expected ${name}, the call succeeded`);
    },
    (e: KmsFailure & { $metadata?: { requestId?: string } }) => e,
  );
  expect(error.name).toBe(name);
  expect(error.$metadata?.requestId).toEqual(expect.any(String));
  return error.$metadata!.requestId!;
}

/**
 * Refused requests by one account on another account's keys: recorded, listed in the key owner's audit trail
 * (GET /v1/audit) with the requester's principal, listed in the requester's own trail without anything the
 * requester did not already know, and invisible to every other account. Import tokens replayed against another
 * key, another account or after expiry are refused and recorded the same way.
 */
describe('audit: refused cross-account requests and replayed import tokens', () => {
  let kl: RunningKeyledger;
  let kmsA: KMSClient;
  let kmsB: KMSClient;
  const auditOf = (accessKeyId: string, query: string) =>
    restClient(kl.url, sigV4(accessKeyId)).get(`/v1/audit?${query}`).then((reply) => expectOk(reply).records as AuditRecord[]);
  /** The audit records `accessKeyId` sees, once the read model holds every request id in `requestIds`. */
  const auditShowing = (accessKeyId: string, query: string, requestIds: string[]) =>
    eventually(
      () => auditOf(accessKeyId, query),
      (records) => requestIds.every((id) => records.some((r) => r.requestId === id)),
    );

  beforeAll(async () => {
    kl = await startKeyledger();
    kmsA = kl.client({ accessKeyId: A });
    kmsB = kl.client({ accessKeyId: B });
  });
  afterAll(() => kl.destroy());

  describe("B's refused requests on A's key", () => {
    let keyId: string;
    let arn: string;
    const byArn: Record<string, string> = {};
    const byId: Record<string, string> = {};
    let aTokenId: string;

    beforeAll(async () => {
      const key = await createExternalKey(kmsA);
      keyId = key.KeyId!;
      arn = key.Arn!;
      const material = randomBytes(32);
      // A's own parameters, leaked to B.
      const aImport = await wrapped(kmsA, keyId, material);
      aTokenId = readEventLog(kl.dataDir, `kms-key-${keyId}`).find((e) => e.type === 'ImportParametersIssued.v1')!.data.importTokenId as string;
      const stream = readEventLog(kl.dataDir, `kms-key-${keyId}`);

      // DescribeKey is a query: refused, not audited.
      await refused(kmsB.send(new DescribeKeyCommand({ KeyId: arn })), 'NotFoundException');
      const importParameters = (KeyId: string) => kmsB.send(new GetParametersForImportCommand({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
      const importWithAToken = (KeyId: string) =>
        kmsB.send(new ImportKeyMaterialCommand({ KeyId, ImportToken: aImport.ImportToken, EncryptedKeyMaterial: aImport.EncryptedKeyMaterial, ...noExpiry }));
      for (const [ids, name] of [[byArn, arn], [byId, keyId]] as const) {
        ids.GetParametersForImport = await refused(importParameters(name), 'NotFoundException');
        ids.ImportKeyMaterial = await refused(importWithAToken(name), 'NotFoundException');
        ids.DeleteImportedKeyMaterial = await refused(kmsB.send(new DeleteImportedKeyMaterialCommand({ KeyId: name })), 'NotFoundException');
        ids.ScheduleKeyDeletion = await refused(kmsB.send(new ScheduleKeyDeletionCommand({ KeyId: name, PendingWindowInDays: 7 })), 'NotFoundException');
      }
      // Nothing changed A's key; A's own token still works for A.
      expect(readEventLog(kl.dataDir, `kms-key-${keyId}`)).toEqual(stream);
      await kmsA.send(new ImportKeyMaterialCommand({ KeyId: keyId, ImportToken: aImport.ImportToken, EncryptedKeyMaterial: aImport.EncryptedKeyMaterial, ...noExpiry }));
    });

    const operations = ['GetParametersForImport', 'ImportKeyMaterial', 'DeleteImportedKeyMaterial', 'ScheduleKeyDeletion'];
    const all = () => [...Object.values(byArn), ...Object.values(byId)];

    it("records each refusal in the key's refusal stream with the owner's account", () => {
      const events = readEventLog(kl.dataDir, `kms-refusals-${keyId}`);
      expect(events.map((e) => e.metadata.requestId).sort()).toEqual(all().sort());
      for (const e of events) {
        expect(e.metadata.principal).toMatchObject({ accountId: B, accessKeyId: B });
        expect(e.data).toMatchObject({ keyId, errorType: 'NotFoundException', keyAccountId: A });
      }
    });

    it("A's GET /v1/audit lists them, with B's principal, and with what the service knew", async () => {
      const records = (await auditShowing(A, 'type=RequestRefused.v1', all())).filter((r) => r.keyId === keyId);
      expect(records.map((r) => r.requestId).sort()).toEqual(all().sort());
      expect(records.map((r) => r.operation).sort()).toEqual([...operations, ...operations].sort());
      for (const r of records) {
        expect(r).toMatchObject({ outcome: 'Refused', errorType: 'NotFoundException', principal: { type: 'User', accountId: B, accessKeyId: B, name: testPrincipalOf(B) } });
        expect(r.data).toMatchObject({ keyId, keyAccountId: A });
        expect(r.revision).toEqual(expect.any(Number));
      }
      const byRequest = (id: string) => records.find((r) => r.requestId === id)!;
      expect(byRequest(byArn.ImportKeyMaterial).data.requestedKeyId).toBe(arn);
      // Named by bare key id, the import reached the executor: the owner sees the key's revision and A's token.
      expect(byRequest(byId.ImportKeyMaterial).data).toMatchObject({
        requestedKeyId: keyId,
        keyRevision: expect.any(Number),
        parameters: expect.objectContaining({ importTokenId: aTokenId, importTokenKeyArn: arn }),
      });
      // The key filter and the principal filter work across accounts for the owner.
      const filtered = await auditOf(A, `keyId=${encodeURIComponent(arn)}&principal=${B}`);
      expect(filtered.map((r) => r.requestId).sort()).toEqual(all().sort());
    });

    it("B's GET /v1/audit lists them too, without the owner, the key's revision or what A's token held", async () => {
      const records = (await auditShowing(B, 'type=RequestRefused.v1', all())).filter((r) => r.keyId === keyId);
      expect(records.map((r) => r.requestId).sort()).toEqual(all().sort());
      for (const r of records) {
        expect(r.principal).toMatchObject({ accountId: B, accessKeyId: B });
        expect(r.data).not.toHaveProperty('keyAccountId');
        expect(r.data).not.toHaveProperty('keyRevision');
        // Nor the refusal stream's revision, which counts every refusal about the key id, A's own included.
        expect(r).not.toHaveProperty('revision');
        for (const name of ['importTokenId', 'importTokenKeyArn', 'importTokenValidTo']) expect(r.data.parameters).not.toHaveProperty(name);
      }
      // What B sent is there: the identifier and the parameters of its own request.
      const parameters = records.find((r) => r.requestId === byArn.GetParametersForImport)!.data;
      expect(parameters).toMatchObject({ requestedKeyId: arn, parameters: { wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' } });
      // B sees none of A's own records of the key.
      expect((await auditOf(B, `keyId=${keyId}`)).every((r) => r.principal?.accountId === B)).toBe(true);
    });

    it('a third account sees none of it', async () => {
      await auditShowing(A, 'type=RequestRefused.v1', all());
      expect(await auditOf(C, `keyId=${keyId}`)).toEqual([]);
      expect((await auditOf(C, 'type=RequestRefused.v1')).filter((r) => r.keyId === keyId)).toEqual([]);
      expect(await auditOf(C, `principal=${B}`)).toEqual([]);
    });

    it("A's own records stay A's: B's view of the key holds only B's refusals, C's nothing", async () => {
      const own = await auditOf(A, `keyId=${keyId}`);
      expect(own.filter((r) => r.outcome === 'Succeeded').map((r) => r.type)).toEqual(['KeyCreated.v1', 'ImportParametersIssued.v1', 'KeyMaterialImported.v1']);
      const bView = await auditOf(B, `keyId=${keyId}`);
      expect(bView.every((r) => r.outcome === 'Refused')).toBe(true);
    });
  });

  describe('import tokens replayed against another key, another account, or after expiry', () => {
    it("A's token on B's own key: InvalidImportTokenException, recorded under B's key; B's view omits what A's token held; A sees nothing of B's key", async () => {
      const aKey = await createExternalKey(kmsA);
      const bKey = await createExternalKey(kmsB);
      const material = randomBytes(32);
      const aImport = await wrapped(kmsA, aKey.KeyId!, material);
      const bStream = readEventLog(kl.dataDir, `kms-key-${bKey.KeyId}`);
      const requestId = await refused(
        kmsB.send(new ImportKeyMaterialCommand({ KeyId: bKey.KeyId, ImportToken: aImport.ImportToken, EncryptedKeyMaterial: aImport.EncryptedKeyMaterial, ...noExpiry })),
        'InvalidImportTokenException',
      );
      expect(readEventLog(kl.dataDir, `kms-key-${bKey.KeyId}`)).toEqual(bStream);
      const [event] = readEventLog(kl.dataDir, `kms-refusals-${bKey.KeyId}`);
      expect(event.metadata.requestId).toBe(requestId);
      expect(event.data).toMatchObject({ keyId: bKey.KeyId, errorType: 'InvalidImportTokenException', errorMessage: INVALID_TOKEN, parameters: { importTokenKeyArn: aKey.Arn } });
      expect(event.data).not.toHaveProperty('keyAccountId'); // B's own key

      const [bRecord] = await auditShowing(B, `keyId=${bKey.KeyId}&type=RequestRefused.v1`, [requestId]);
      expect(bRecord).toMatchObject({ errorType: 'InvalidImportTokenException', data: { requestedKeyId: bKey.KeyId, keyRevision: expect.any(Number) } });
      expect(Object.keys(bRecord.data.parameters as object).filter((name) => /^importToken|^wrapping/.test(name))).toEqual([]);
      expect((await auditOf(A, 'type=RequestRefused.v1')).filter((r) => r.keyId === bKey.KeyId)).toEqual([]);

      // A's token was not spent by the replay.
      await kmsA.send(new ImportKeyMaterialCommand({ KeyId: aKey.KeyId, ImportToken: aImport.ImportToken, EncryptedKeyMaterial: aImport.EncryptedKeyMaterial, ...noExpiry }));
    });

    it("B's own token on A's key: NotFoundException (by ARN and by key id), listed for A; B still sees its own token's facts", async () => {
      const aKey = await createExternalKey(kmsA);
      const bKey = await createExternalKey(kmsB);
      const bImport = await wrapped(kmsB, bKey.KeyId!, randomBytes(32));
      const send = (KeyId: string) =>
        kmsB.send(new ImportKeyMaterialCommand({ KeyId, ImportToken: bImport.ImportToken, EncryptedKeyMaterial: bImport.EncryptedKeyMaterial, ...noExpiry }));
      const ids = [await refused(send(aKey.Arn!), 'NotFoundException'), await refused(send(aKey.KeyId!), 'NotFoundException')];
      const forA = await auditShowing(A, `keyId=${aKey.KeyId}&type=RequestRefused.v1`, ids);
      expect(forA.map((r) => [r.requestId, r.principal?.accessKeyId, r.data.keyAccountId])).toEqual(ids.map((id) => [id, B, A]));
      const forB = await auditShowing(B, `keyId=${aKey.KeyId}&type=RequestRefused.v1`, ids);
      const byKeyId = forB.find((r) => r.requestId === ids[1])!;
      // The token is B's own: its facts stay; the key's revision and owner (A's) do not.
      expect(byKeyId.data).toMatchObject({ parameters: { importTokenKeyArn: bKey.Arn } });
      expect(byKeyId.data).not.toHaveProperty('keyRevision');
      expect(byKeyId.data).not.toHaveProperty('keyAccountId');
    });

    it("A's token on A's other key: InvalidImportTokenException, recorded with the token's facts, for A only", async () => {
      const key = await createExternalKey(kmsA);
      const other = await createExternalKey(kmsA);
      const foreign = await wrapped(kmsA, other.KeyId!, randomBytes(32));
      const requestId = await refused(
        kmsA.send(new ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken: foreign.ImportToken, EncryptedKeyMaterial: foreign.EncryptedKeyMaterial, ...noExpiry })),
        'InvalidImportTokenException',
      );
      const [record] = await auditShowing(A, `keyId=${key.KeyId}&type=RequestRefused.v1`, [requestId]);
      expect(record.data).toMatchObject({ parameters: { importTokenKeyArn: other.Arn, importTokenId: expect.any(String) } });
      expect(await auditOf(B, `keyId=${key.KeyId}`)).toEqual([]);
    });

    it('after expiry: ExpiredImportTokenException on its own key (AWS JSON and REST), InvalidImportTokenException on any other; all recorded', async () => {
      const key = await createExternalKey(kmsA);
      const bKey = await createExternalKey(kmsB);
      const material = randomBytes(32);
      const expiring = await wrapped(kmsA, key.KeyId!, material);
      const validTo = expiring.params.ParametersValidTo!;
      kl.clock.advance(DAY + 1000);

      const own = await refused(
        kmsA.send(new ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken: expiring.ImportToken, EncryptedKeyMaterial: expiring.EncryptedKeyMaterial, ...noExpiry })),
        'ExpiredImportTokenException',
      );
      const restReply = await restClient(kl.url, sigV4(A)).post(`/v1/keys/${key.KeyId}/material`, {
        importToken: Buffer.from(expiring.ImportToken).toString('base64'),
        encryptedKeyMaterial: expiring.EncryptedKeyMaterial.toString('base64'),
        expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      });
      expectProblem(restReply, 422, 'expired-import-token', 'ExpiredImportTokenException', `The import token expired at ${validTo.toISOString()}. Call GetParametersForImport for a new import token and public key.`);
      const viaRest = restReply.headers.get('x-request-id')!;
      const replayedByB = await refused(
        kmsB.send(new ImportKeyMaterialCommand({ KeyId: bKey.KeyId, ImportToken: expiring.ImportToken, EncryptedKeyMaterial: expiring.EncryptedKeyMaterial, ...noExpiry })),
        'InvalidImportTokenException',
      );
      const onA = await refused(
        kmsB.send(new ImportKeyMaterialCommand({ KeyId: key.Arn, ImportToken: expiring.ImportToken, EncryptedKeyMaterial: expiring.EncryptedKeyMaterial, ...noExpiry })),
        'NotFoundException',
      );

      const forA = await auditShowing(A, `keyId=${key.KeyId}&type=RequestRefused.v1`, [own, viaRest, onA]);
      expect(forA.map((r) => [r.requestId, r.errorType, r.principal?.accessKeyId])).toEqual([
        [own, 'ExpiredImportTokenException', A],
        [viaRest, 'ExpiredImportTokenException', A],
        [onA, 'NotFoundException', B],
      ]);
      expect(forA[0].data.parameters).toMatchObject({ importTokenValidTo: validTo.toISOString(), importTokenKeyArn: key.Arn });
      const [forB] = await auditShowing(B, `keyId=${bKey.KeyId}&type=RequestRefused.v1`, [replayedByB]);
      expect(forB).toMatchObject({ errorType: 'InvalidImportTokenException', principal: { accessKeyId: B } });
      expect(forB.data.parameters).not.toHaveProperty('importTokenValidTo');
      expect(readEventLog(kl.dataDir, `kms-refusals-${bKey.KeyId}`).map((e) => e.data.parameters)).toEqual([
        expect.objectContaining({ importTokenKeyArn: key.Arn, importTokenValidTo: validTo.toISOString() }),
      ]);
      // The key is untouched; fresh parameters import the same material.
      await importMaterial(kmsA, key.KeyId!, material);
    });
  });
});
