import { AuditEventTypes, refusalStreamForAccount, refusalStreamForKey } from '@keyledger/audit';
import { KmsError, keyStreamId } from '@keyledger/domain';
import { InMemoryEventStore, WrongExpectedRevisionError } from '@keyledger/event-store';
import { CommandBus } from '@nestjs/cqrs';
import { KeyCommandExecutor } from '../key-command-executor';
import { MaterialVault } from '../ports';
import { RequestContext } from '../request-context';
import { RefusalAuditHook } from './refusal-audit-hook';
import { describeRefusal } from './refusal-description';
import { refusalFactsOf } from './refusal-facts';
import { RefusalRecorder } from './refusal-recorder';

const ACCOUNT = '111122223333';
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${KEY_ID}`;
const NOW = Date.parse('2026-11-22T10:00:00Z');
const ctx: RequestContext = {
  accountId: ACCOUNT,
  region: 'eu-west-1',
  principal: { type: 'User', accountId: ACCOUNT, accessKeyId: 'AKIAMALLORY' },
  requestId: 'req-1',
  correlationId: 'req-1',
  operation: 'ImportKeyMaterial',
};
const secretToken = Buffer.from('sealed-token-bytes-never-logged');
const secretMaterial = Buffer.from('wrapped-material-never-logged');
const importCommand = (keyId = KEY_ID) => ({
  ctx,
  input: { keyId, importToken: secretToken, encryptedKeyMaterial: secretMaterial, expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: NOW + 86_400_000, keyMaterialDescription: 'Q4' },
});
const invalidToken = () => new KmsError('InvalidImportTokenException', 'The import token is invalid or is associated with a different KMS key.');

describe('describeRefusal', () => {
  it('records who, what and why, with only the named non-secret parameters', () => {
    const refusal = describeRefusal(importCommand(), invalidToken())!;
    expect(refusal.streamId).toBe(refusalStreamForKey(KEY_ID));
    expect(refusal.data).toEqual({
      operation: 'ImportKeyMaterial',
      keyId: KEY_ID,
      requestedKeyId: KEY_ID,
      parameters: { expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: new Date(NOW + 86_400_000).toISOString(), keyMaterialDescription: 'Q4' },
      errorType: 'InvalidImportTokenException',
      errorMessage: 'The import token is invalid or is associated with a different KMS key.',
    });
    const text = JSON.stringify(refusal.data);
    for (const secret of [secretToken, secretMaterial]) {
      expect(text).not.toContain(secret.toString('utf8'));
      expect(text).not.toContain(secret.toString('base64'));
    }
  });

  it('files a refusal under the key an ARN names, even in another account, and under the account otherwise', () => {
    expect(describeRefusal(importCommand(`arn:aws:kms:eu-west-1:999999999999:key/${KEY_ID}`), new KmsError('NotFoundException', 'x'))).toMatchObject({
      streamId: refusalStreamForKey(KEY_ID),
      data: { keyId: KEY_ID, requestedKeyId: `arn:aws:kms:eu-west-1:999999999999:key/${KEY_ID}` },
    });
    const alias = describeRefusal(importCommand('alias/payments'), new KmsError('NotFoundException', "Invalid keyId 'alias/payments'"))!;
    expect(alias.streamId).toBe(refusalStreamForAccount(ACCOUNT));
    expect(alias.data.keyId).toBeUndefined();
  });

  it('leaves out what is not a refusal worth auditing', () => {
    expect(describeRefusal(importCommand(), new KmsError('ValidationException', 'The validTo date must be in the future.'))).toBeUndefined();
    expect(describeRefusal(importCommand(), new KmsError('KMSInternalException', 'x'))).toBeUndefined();
    expect(describeRefusal(importCommand(), new Error('disk full'))).toBeUndefined();
    expect(describeRefusal({ ctx, input: { description: 'no key named' } }, invalidToken())).toBeUndefined(); // CreateKey
    expect(describeRefusal({ keyId: KEY_ID, requestId: 'job' }, invalidToken())).toBeUndefined(); // a job's command
  });
});

describe('refusals decided by the executor', () => {
  const vault: MaterialVault = { put: async () => undefined, get: async () => undefined, shred: async () => undefined, list: async () => [] };

  it("carry the key's revision and what the import token said, and change nothing in the key's stream", async () => {
    const store = new InMemoryEventStore();
    const executor = new KeyCommandExecutor(store, { now: () => NOW }, vault, { waitForPosition: async () => true });
    const create = { kind: 'CreateKey' as const, keyId: KEY_ID, accountId: ACCOUNT, region: 'eu-west-1', description: '', keySpec: 'SYMMETRIC_DEFAULT', origin: 'EXTERNAL', multiRegion: false };
    await executor.execute(KEY_ID, create, ctx);
    const otherKeysToken = { importTokenId: 'tok-1', keyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/ffffffff-12ab-34cd-56ef-1234567890ab`, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048', parametersValidTo: NOW + 1000 };
    const error = await executor
      .execute(KEY_ID, { kind: 'ImportKeyMaterial', keyArn: ARN, token: otherKeysToken, unwrap: { outcome: 'undecryptable' }, expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }, ctx)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ type: 'InvalidImportTokenException' });
    expect(refusalFactsOf(error)).toMatchObject({ keyId: KEY_ID, keyRevision: 0 });
    const refusal = describeRefusal(importCommand(), error, refusalFactsOf(error))!;
    expect(refusal.data).toMatchObject({
      keyRevision: 0,
      parameters: { importTokenId: 'tok-1', importTokenKeyArn: otherKeysToken.keyArn, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048', importTokenValidTo: new Date(NOW + 1000).toISOString() },
    });
    expect(await store.readStream(keyStreamId(KEY_ID))).toHaveLength(1);
  });
});

describe('RefusalRecorder', () => {
  const clock = { now: () => NOW };

  it('appends RequestRefused.v1 with the request metadata, and keeps appending with optimistic concurrency', async () => {
    const store = new InMemoryEventStore();
    const recorder = new RefusalRecorder(store, clock);
    await recorder.recordIfRefused(importCommand(), invalidToken());
    // Another instance appends to the same stream: the remembered revision is stale, the recorder re-reads.
    await store.appendToStream(refusalStreamForKey(KEY_ID), [{ type: AuditEventTypes.RequestRefused, data: {}, metadata: {} }], 0);
    await recorder.recordIfRefused(importCommand(), invalidToken());
    const events = await store.readStream(refusalStreamForKey(KEY_ID));
    expect(events.map((e) => e.revision)).toEqual([0, 1, 2]);
    expect(events[2]).toMatchObject({
      type: 'RequestRefused.v1',
      metadata: { accountId: ACCOUNT, region: 'eu-west-1', principal: ctx.principal, requestId: 'req-1', operation: 'ImportKeyMaterial', timestamp: '2026-11-22T10:00:00.000Z' },
    });
  });

  it('never throws: a failure to record is logged', async () => {
    const store = new InMemoryEventStore();
    store.appendToStream = async () => {
      throw new WrongExpectedRevisionError('s', 0, 1);
    };
    const recorder = new RefusalRecorder(store, clock);
    const logged = jest.spyOn((recorder as unknown as { logger: { error: (m: unknown) => void } }).logger, 'error').mockImplementation(() => undefined);
    await expect(recorder.recordIfRefused(importCommand(), invalidToken())).resolves.toBeUndefined();
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ msg: 'could not record a refused request in the audit trail', requestId: 'req-1', errorType: 'InvalidImportTokenException' }));
  });
});

describe('RefusalAuditHook', () => {
  it("records refusals of commands sent through the bus and passes the caller's error on unchanged", async () => {
    const refusal = invalidToken();
    const bus = { execute: async (command: { fail?: Error }) => (command.fail ? Promise.reject(command.fail) : 'ok') } as unknown as CommandBus;
    const recorded: unknown[] = [];
    const recorder = { recordIfRefused: async (_command: unknown, error: unknown) => void recorded.push(error) } as unknown as RefusalRecorder;
    new RefusalAuditHook(bus, recorder).onModuleInit();
    expect(await bus.execute({ ...importCommand() } as never)).toBe('ok');
    await expect(bus.execute({ ...importCommand(), fail: refusal } as never)).rejects.toBe(refusal);
    expect(recorded).toEqual([refusal]);
  });
});
