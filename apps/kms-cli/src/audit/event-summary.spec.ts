import type { RecordedEvent } from '@keyledger/event-store';
import { auditFilter } from '../export/audit-filter';
import { aliasKeyIds, concernsKey, keyIdOf, toAuditRow } from './audit-row';
import { summarizeEvent } from './event-summary';
import { renderTimeline } from './timeline';

const KEY = '0f0e0d0c-0b0a-4908-8706-050403020100';
const OTHER = '11111111-2222-4333-8444-555555555555';
const ARN = `arn:aws:kms:us-east-1:000000000000:key/${KEY}`;
const OLD_MATERIAL = '3f2a9c01' + 'a'.repeat(56);
const NEW_MATERIAL = '9b1c44e2' + 'b'.repeat(56);
const ALIAS_STREAM = 'kms-alias-000000000000:us-east-1:alias/orders';
const ALIAS_ARN = 'arn:aws:kms:us-east-1:000000000000:alias/orders';

let position = 0;
const event = (type: string, data: object, streamId = `kms-key-${KEY}`, revision = position): RecordedEvent => {
  position += 1;
  return {
    streamId,
    revision,
    position,
    type,
    data: data as RecordedEvent['data'],
    metadata: { accountId: '000000000000', region: 'us-east-1', principal: { type: 'User', accountId: '000000000000', accessKeyId: 'ops' }, operation: 'X', requestId: `req-${position}`, timestamp: new Date(Date.parse('2027-01-05T10:00:00.000Z') + position * 1000).toISOString() },
    recordedAt: Date.parse('2027-01-05T10:00:00.000Z') + position * 1000,
  };
};
const summary = (type: string, data: object, streamId?: string) => summarizeEvent(event(type, data, streamId));

describe('event summaries of the key lifecycle', () => {
  it('enable, disable and the description', () => {
    expect(summary('KeyEnabled.v1', {})).toBe('enabled the key');
    expect(summary('KeyDisabled.v1', {})).toBe('disabled the key');
    expect(summary('KeyDescriptionUpdated.v1', { description: 'orders "v2"' })).toBe('changed the description to "orders \\"v2\\""');
  });

  it('deletion: scheduled with its date and window, canceled, and done with the material shredded', () => {
    expect(summary('KeyDeletionScheduled.v1', { deletionDate: '2027-01-12T10:00:00.000Z', pendingWindowInDays: 7 })).toBe(
      'scheduled deletion for 2027-01-12T10:00:00.000Z (7 days)',
    );
    expect(summary('KeyDeletionCanceled.v1', {})).toBe('canceled the scheduled deletion');
    expect(summary('KeyDeleted.v1', { deletionDate: '2027-01-12T10:00:01.000Z', keyMaterialIds: [OLD_MATERIAL, NEW_MATERIAL] })).toBe(
      'deleted the key and shredded 2 key materials',
    );
    expect(summary('KeyDeleted.v1', { deletionDate: '2027-01-12T10:00:01.000Z', keyMaterialIds: [OLD_MATERIAL] })).toBe('deleted the key and shredded 1 key material');
    expect(summary('KeyDeleted.v1', { deletionDate: '2027-01-12T10:00:01.000Z', keyMaterialIds: [] })).toBe('deleted the key (it held no key material)');
  });

  it('tags added (in the order recorded) and removed, and tags given at creation', () => {
    expect(summary('KeyTagged.v1', { tags: [{ TagKey: 'env', TagValue: 'prod' }, { TagKey: 'team', TagValue: 'pay' }] })).toBe('tagged env=prod, team=pay');
    expect(summary('KeyUntagged.v1', { tagKeys: ['env', 'team'] })).toBe('untagged env, team');
    const created = { keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS', multiRegion: false, description: 'orders', keyMaterialId: OLD_MATERIAL };
    expect(summary('KeyCreated.v1', { ...created, tags: [{ TagKey: 'env', TagValue: 'prod' }] })).toBe(
      'created SYMMETRIC_DEFAULT ENCRYPT_DECRYPT origin AWS_KMS "orders", generated material 3f2a9c01…, tagged env=prod',
    );
    expect(summary('KeyCreated.v1', { ...created, tags: [], policy: '{}' })).toBe(
      'created SYMMETRIC_DEFAULT ENCRYPT_DECRYPT origin AWS_KMS "orders", generated material 3f2a9c01…, with its own key policy',
    );
  });

  it('the key policy, by name and size (the document itself is in --json)', () => {
    expect(summary('KeyPolicyPut.v1', { policyName: 'default', policy: '{"Version":"2012-10-17"}' })).toBe('put key policy default (24 characters)');
  });

  it('rotation settings and rotations, on demand and automatic, naming the new and the previous material', () => {
    expect(summary('KeyRotationEnabled.v1', { rotationPeriodInDays: 90, nextRotationDate: '2027-04-05T10:00:00.000Z' })).toBe(
      'enabled automatic rotation every 90 days, next 2027-04-05T10:00:00.000Z',
    );
    expect(summary('KeyRotationDisabled.v1', {})).toBe('disabled automatic rotation');
    const rotation = { keyMaterialId: NEW_MATERIAL, previousKeyMaterialId: OLD_MATERIAL, rotationDate: '2027-01-05T10:00:00.000Z' };
    expect(summary('KeyMaterialRotated.v1', { ...rotation, rotationType: 'ON_DEMAND' })).toBe('rotated key material on demand: 9b1c44e2… (was 3f2a9c01…)');
    expect(summary('KeyMaterialRotated.v1', { ...rotation, rotationType: 'AUTOMATIC', nextRotationDate: '2028-01-05T10:00:00.000Z' })).toBe(
      'rotated key material automatically: 9b1c44e2… (was 3f2a9c01…), next rotation 2028-01-05T10:00:00.000Z',
    );
  });
});

describe('event summaries of aliases', () => {
  const target = (keyId: string) => ({ keyId, keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' });
  const created = () =>
    event('AliasCreated.v1', { aliasName: 'alias/orders', aliasArn: ALIAS_ARN, accountId: '000000000000', region: 'us-east-1', target: target(KEY), creationDate: '2027-01-05T10:00:00.000Z' }, ALIAS_STREAM, 0);
  const retargeted = () => event('AliasRetargeted.v1', { aliasArn: ALIAS_ARN, target: target(OTHER), previousTargetKeyId: KEY, lastUpdatedDate: '2027-01-05T11:00:00.000Z' }, ALIAS_STREAM, 1);
  const deleted = (reason: string) => event('AliasDeleted.v1', { aliasArn: ALIAS_ARN, targetKeyId: OTHER, reason }, ALIAS_STREAM, 2);

  it('created, moved to another key (the name taken from the ARN), deleted by the owner or with its key', () => {
    expect(summarizeEvent(created())).toBe(`created alias alias/orders for key ${KEY}`);
    expect(summarizeEvent(retargeted())).toBe(`pointed alias alias/orders at key ${OTHER} (was ${KEY})`);
    expect(summarizeEvent(deleted('DeleteAlias'))).toBe(`deleted alias alias/orders (it pointed at key ${OTHER})`);
    expect(summarizeEvent(deleted('KeyDeleted'))).toBe(`deleted alias alias/orders with its key ${OTHER}`);
  });

  it('an alias event concerns the key it points at and the key it pointed at; its audit row names the new target', () => {
    expect(aliasKeyIds(retargeted())).toEqual([OTHER, KEY]);
    expect(keyIdOf(retargeted())).toBe(OTHER);
    expect(concernsKey(retargeted(), KEY)).toBe(true);
    expect(concernsKey(created(), OTHER)).toBe(false);
    expect(toAuditRow(created())).toMatchObject({ keyId: KEY, type: 'AliasCreated.v1', outcome: 'Succeeded', principalName: 'ops', streamId: ALIAS_STREAM });
    // `export --key` keeps the alias events of both keys.
    const events = [created(), retargeted(), deleted('DeleteAlias')];
    expect(events.filter(auditFilter({ keyId: KEY })).map((e) => e.type)).toEqual(['AliasCreated.v1', 'AliasRetargeted.v1']);
    expect(events.filter(auditFilter({ keyId: OTHER })).map((e) => e.type)).toEqual(['AliasRetargeted.v1', 'AliasDeleted.v1']);
  });

  it("the key's timeline counts alias events apart and shows `-` as their revision", () => {
    position = 0;
    const keyCreated = event('KeyCreated.v1', { keyId: KEY, arn: ARN, keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS', multiRegion: false, description: 'orders', keyMaterialId: OLD_MATERIAL }, `kms-key-${KEY}`, 0);
    const alias = created();
    const disabled = event('KeyDisabled.v1', {}, `kms-key-${KEY}`, 1);
    const lines = renderTimeline(KEY, `kms-key-${KEY}`, [keyCreated, alias, disabled]).join('\n').split('\n');
    expect(lines.slice(0, 2)).toEqual([`Key ${KEY}  ${ARN}`, `2 events in stream kms-key-${KEY}, 1 alias event`]);
    expect(lines[3]).toMatch(/^TIME +REV +EVENT +WHO +OPERATION +REQUEST ID +SUMMARY$/);
    expect(lines.slice(4).map((line) => line.split(/ {2,}/)).map((cells) => [cells[1], cells[2], cells[cells.length - 1]])).toEqual([
      ['0', 'KeyCreated.v1', 'created SYMMETRIC_DEFAULT ENCRYPT_DECRYPT origin AWS_KMS "orders", generated material 3f2a9c01…'],
      ['-', 'AliasCreated.v1', `created alias alias/orders for key ${KEY}`],
      ['1', 'KeyDisabled.v1', 'disabled the key'],
    ]);
  });
});

describe('event summaries name the master key that sealed the material', () => {
  const MASTER_KEY = '0123456789abcdef';

  it('on creation with generated material, import and rotation; older events without the id read as before', () => {
    const created = { keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS', multiRegion: false, description: '', keyMaterialId: OLD_MATERIAL };
    expect(summary('KeyCreated.v1', { ...created, sealedUnderMasterKeyId: MASTER_KEY, tags: [{ TagKey: 'env', TagValue: 'prod' }] })).toBe(
      `created SYMMETRIC_DEFAULT ENCRYPT_DECRYPT origin AWS_KMS, generated material 3f2a9c01… sealed under master key ${MASTER_KEY}, tagged env=prod`,
    );
    const imported = { keyMaterialId: NEW_MATERIAL, importType: 'NEW_KEY_MATERIAL', reimport: false, materialState: 'CURRENT', expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', wrappingKeySpec: 'RSA_2048', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' };
    expect(summary('KeyMaterialImported.v1', { ...imported, sealedUnderMasterKeyId: MASTER_KEY })).toBe(
      `imported material 9b1c44e2… DOES NOT EXPIRE wrapped RSA_2048/RSAES_OAEP_SHA_256, sealed under master key ${MASTER_KEY}`,
    );
    expect(summary('KeyMaterialImported.v1', imported)).toBe('imported material 9b1c44e2… DOES NOT EXPIRE wrapped RSA_2048/RSAES_OAEP_SHA_256');
    const rotation = { keyMaterialId: NEW_MATERIAL, previousKeyMaterialId: OLD_MATERIAL, rotationType: 'ON_DEMAND', rotationDate: '2027-01-05T10:00:00.000Z' };
    expect(summary('KeyMaterialRotated.v1', { ...rotation, sealedUnderMasterKeyId: MASTER_KEY })).toBe(
      `rotated key material on demand: 9b1c44e2… sealed under master key ${MASTER_KEY} (was 3f2a9c01…)`,
    );
  });

  it('MasterKeyRotated.v1: how much was re-sealed, under which key, from which, and what is left', () => {
    const rewrapped = [{ keyId: KEY, keyMaterialId: OLD_MATERIAL }, { keyId: OTHER, keyMaterialId: NEW_MATERIAL }];
    const data = { fromMasterKeyIds: ['fedcba9876543210'], toMasterKeyId: MASTER_KEY, rewrapped, remaining: 0 };
    expect(summary('MasterKeyRotated.v1', data, 'keyledger-master-key')).toBe(`re-sealed 2 key materials under master key ${MASTER_KEY} (from fedcba9876543210)`);
    expect(summary('MasterKeyRotated.v1', { ...data, rewrapped: [], fromMasterKeyIds: [], remaining: 1 }, 'keyledger-master-key')).toBe(
      `re-sealed 0 key materials under master key ${MASTER_KEY}; 1 key material still under another master key`,
    );
  });
});
