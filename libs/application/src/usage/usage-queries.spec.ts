import { KeyState, RequestScope } from '@keyledger/domain';
import type { KeyReadModel, StoredUsageRecord, UsageLog, UsagePage, UsageQuery, UsageRecorder } from '../ports';
import { GetKeyLastUsage, GetKeyLastUsageHandler } from './get-key-last-usage';
import { ListKeyUsage, ListKeyUsageHandler } from './list-key-usage';

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const SCOPE: RequestScope = { accountId: '111122223333', region: 'eu-west-1' };
const ARN = `arn:aws:kms:eu-west-1:111122223333:key/${KEY_ID}`;
const CREATED = Date.parse('2026-03-01T10:00:00Z');

const state: KeyState = {
  key: { keyId: KEY_ID, arn: ARN, accountId: SCOPE.accountId, region: SCOPE.region, description: '', keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS', multiRegion: false, creationDate: CREATED },
  enabled: true,
  materials: [],
} as unknown as KeyState;

const lastUse: StoredUsageRecord = {
  cursor: 'c2',
  keyId: KEY_ID,
  keyArn: ARN,
  operation: 'Decrypt',
  principal: { type: 'User', accountId: SCOPE.accountId, accessKeyId: 'AKIAALICE' },
  requestId: 'req-2',
  time: '2026-03-02T10:00:00.000Z',
  outcome: 'Succeeded',
};

/** Keeps the order of calls: the recorder must be flushed before the usage log is read. */
function fakes(options: { page?: UsagePage | 'invalid-cursor'; last?: StoredUsageRecord } = {}) {
  const calls: string[] = [];
  const queries: UsageQuery[] = [];
  const keys: KeyReadModel = {
    findKey: async (scope, keyId) => (scope.accountId === SCOPE.accountId && scope.region === SCOPE.region && keyId === KEY_ID ? state : undefined),
    listKeys: async () => ({ keys: [] }),
    keysWithMaterialDueForExpiry: async () => [],
    keysDueForDeletion: async () => [],
    keysDueForRotation: async () => [],
  };
  const recorder: UsageRecorder = { record: () => undefined, flush: async () => void calls.push('flush') };
  const usage: UsageLog = {
    query: async (query) => (calls.push('query'), queries.push(query), options.page ?? { records: [] }),
    lastUse: async (scope, keyId) => (calls.push(`lastUse ${scope.accountId} ${scope.region} ${keyId}`), options.last),
  };
  return { keys, recorder, usage, calls, queries };
}

describe('GetKeyLastUsage', () => {
  it("flushes the recorder, then answers with the key's last successful use and when tracking started", async () => {
    const f = fakes({ last: lastUse });
    const result = await new GetKeyLastUsageHandler(f.keys, f.recorder, f.usage).execute(new GetKeyLastUsage(SCOPE, ARN));
    expect(result).toEqual({ keyArn: ARN, keyId: KEY_ID, lastUse, trackingStartDate: CREATED, keyCreationDate: CREATED });
    expect(f.calls).toEqual(['flush', `lastUse ${SCOPE.accountId} ${SCOPE.region} ${KEY_ID}`]);
  });

  it('a key never used has no lastUse', async () => {
    const f = fakes();
    const result = await new GetKeyLastUsageHandler(f.keys, f.recorder, f.usage).execute(new GetKeyLastUsage(SCOPE, KEY_ID));
    expect(result).toEqual({ keyArn: ARN, keyId: KEY_ID, trackingStartDate: CREATED, keyCreationDate: CREATED });
    expect(result).not.toHaveProperty('lastUse');
  });

  it("a key of another account or region, or an unknown key, is NotFound; an alias is not a key id", async () => {
    const f = fakes({ last: lastUse });
    const handler = new GetKeyLastUsageHandler(f.keys, f.recorder, f.usage);
    await expect(handler.execute(new GetKeyLastUsage({ ...SCOPE, region: 'us-east-1' }, KEY_ID))).rejects.toMatchObject({ type: 'NotFoundException' });
    await expect(handler.execute(new GetKeyLastUsage({ ...SCOPE, accountId: '444455556666' }, KEY_ID))).rejects.toMatchObject({ type: 'NotFoundException' });
    await expect(handler.execute(new GetKeyLastUsage(SCOPE, '11111111-2222-3333-4444-555555555555'))).rejects.toMatchObject({
      type: 'NotFoundException',
      message: `Key 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555' does not exist`,
    });
    await expect(handler.execute(new GetKeyLastUsage(SCOPE, 'alias/payments'))).rejects.toMatchObject({ type: 'NotFoundException' });
    expect(f.calls).toEqual([]);
  });
});

describe('ListKeyUsage', () => {
  it("flushes the recorder, then queries the usage log scoped to the caller's account, region and key", async () => {
    const f = fakes({ page: { records: [lastUse], next: 'c2' } });
    const handler = new ListKeyUsageHandler(f.keys, f.recorder, f.usage);
    const page = await handler.execute(new ListKeyUsage(SCOPE, ARN, { limit: 5000, after: 'c1', principal: 'AKIAALICE', operation: 'Decrypt', from: 1, to: 2 }));
    expect(page).toEqual({ keyId: KEY_ID, keyArn: ARN, records: [lastUse], next: 'c2' });
    expect(f.calls).toEqual(['flush', 'query']);
    expect(f.queries).toEqual([{ accountId: SCOPE.accountId, region: SCOPE.region, keyId: KEY_ID, limit: 1000, after: 'c1', principal: 'AKIAALICE', operation: 'Decrypt', from: 1, to: 2 }]);
  });

  it('an invalid cursor is InvalidMarkerException; an unknown key NotFound', async () => {
    const f = fakes({ page: 'invalid-cursor' });
    const handler = new ListKeyUsageHandler(f.keys, f.recorder, f.usage);
    await expect(handler.execute(new ListKeyUsage(SCOPE, KEY_ID, { limit: 10, after: 'nope' }))).rejects.toMatchObject({ type: 'InvalidMarkerException' });
    await expect(handler.execute(new ListKeyUsage({ ...SCOPE, accountId: '444455556666' }, KEY_ID, { limit: 10 }))).rejects.toMatchObject({ type: 'NotFoundException' });
  });
});
