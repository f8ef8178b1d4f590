import type { RecordedEvent } from '@keyledger/event-store';
import { ARN, at, event, FIRST, iso, KEY, keyEvent, SECOND } from '../testing/key-event-fixtures';
import { aliasesAt, keyStateAt, keyStateAtInPages, keyStateView } from './key-state-at';

const OTHER = '11111111-2222-4333-8444-555555555555';

/** An AWS_KMS key: tagged, rotated on demand, automatic rotation on, disabled, scheduled for deletion, deleted. */
const stream = [
  keyEvent(0, 0, 'KeyCreated.v1', {
    keyId: KEY, arn: ARN, accountId: '000000000000', region: 'us-east-1', description: 'orders', keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT',
    origin: 'AWS_KMS', multiRegion: false, creationDate: iso(0), keyMaterialId: FIRST, tags: [{ TagKey: 'env', TagValue: 'dev' }],
  }),
  keyEvent(1, 2, 'KeyTagged.v1', { tags: [{ TagKey: 'env', TagValue: 'prod' }, { TagKey: 'team', TagValue: 'pay' }] }),
  keyEvent(2, 4, 'KeyMaterialRotated.v1', { keyMaterialId: SECOND, previousKeyMaterialId: FIRST, rotationType: 'ON_DEMAND', rotationDate: iso(4) }),
  keyEvent(3, 6, 'KeyRotationEnabled.v1', { rotationPeriodInDays: 90, nextRotationDate: '2027-04-05T10:06:00.000Z' }),
  keyEvent(4, 8, 'KeyDisabled.v1'),
  keyEvent(5, 10, 'KeyDeletionScheduled.v1', { deletionDate: '2027-01-12T10:10:00.000Z', pendingWindowInDays: 7 }),
  keyEvent(6, 20, 'KeyDeleted.v1', { deletionDate: '2027-01-12T10:10:00.500Z', keyMaterialIds: [FIRST, SECOND] }),
];
const ALIAS_ARN = 'arn:aws:kms:us-east-1:000000000000:alias/orders';
const aliasStream = 'kms-alias-000000000000:us-east-1:alias/orders';
const target = (keyId: string) => ({ keyId, keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' });
const aliasEvents = [
  event(aliasStream, 0, 1, 'AliasCreated.v1', { aliasName: 'alias/orders', aliasArn: ALIAS_ARN, accountId: '000000000000', region: 'us-east-1', target: target(KEY), creationDate: iso(1) }),
  event('kms-alias-000000000000:us-east-1:alias/billing', 0, 3, 'AliasCreated.v1', { aliasName: 'alias/billing', aliasArn: 'x', accountId: '000000000000', region: 'us-east-1', target: target(KEY), creationDate: iso(3) }),
  event(aliasStream, 1, 5, 'AliasRetargeted.v1', { aliasArn: ALIAS_ARN, target: target(OTHER), previousTargetKeyId: KEY, lastUpdatedDate: iso(5) }),
  event('kms-alias-000000000000:us-east-1:alias/billing', 1, 21, 'AliasDeleted.v1', { aliasArn: 'x', targetKeyId: KEY, reason: 'KeyDeleted' }),
];
const view = (minutes: number) => keyStateView(keyStateAt(KEY, stream, { asOf: at(minutes) }), aliasEvents);

describe('state view: KeyMetadata plus tags, aliases, rotation, materials and deletion', () => {
  it('right after creation: Enabled, the tags given at creation, no alias yet, rotation off, one material', () => {
    expect(view(0)).toEqual({
      AsOf: iso(0),
      Revision: 0,
      KeyMetadata: expect.objectContaining({ KeyState: 'Enabled', Enabled: true, CurrentKeyMaterialId: FIRST }),
      Tags: [{ TagKey: 'env', TagValue: 'dev' }],
      Aliases: [],
      KeyRotationStatus: { KeyRotationEnabled: false, OnDemandRotations: 0 },
      KeyMaterials: [{ KeyMaterialId: FIRST, KeyMaterialState: 'CURRENT' }],
    });
  });

  it('tags take new values in place; aliases are folded to the moment; a rotation on demand names both materials', () => {
    const later = view(4);
    expect(later.Tags).toEqual([{ TagKey: 'env', TagValue: 'prod' }, { TagKey: 'team', TagValue: 'pay' }]);
    expect(later.Aliases).toEqual(['alias/billing', 'alias/orders']);
    expect(later.KeyMetadata.CurrentKeyMaterialId).toBe(SECOND);
    expect(later.KeyMaterials).toEqual([
      { KeyMaterialId: FIRST, KeyMaterialState: 'NON_CURRENT' },
      { KeyMaterialId: SECOND, KeyMaterialState: 'CURRENT', RotationType: 'ON_DEMAND', RotationDate: at(4) / 1000 },
    ]);
    expect(later.KeyRotationStatus).toEqual({ KeyRotationEnabled: false, OnDemandRotations: 1 });
    // alias/orders was moved to another key at minute 5.
    expect(view(5).Aliases).toEqual(['alias/billing']);
  });

  it('automatic rotation as GetKeyRotationStatus answers it; Disabled after DisableKey', () => {
    expect(view(6).KeyRotationStatus).toEqual({ KeyRotationEnabled: true, RotationPeriodInDays: 90, NextRotationDate: Date.parse('2027-04-05T10:06:00.000Z') / 1000, OnDemandRotations: 1 });
    expect(view(8).KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false });
  });

  it('PendingDeletion with its DeletionDate (rotation reads off meanwhile), then Deleted with the material shredded', () => {
    const pending = view(10);
    expect(pending.KeyMetadata).toMatchObject({ KeyState: 'PendingDeletion', Enabled: false, DeletionDate: Date.parse('2027-01-12T10:10:00.000Z') / 1000 });
    expect(pending.KeyRotationStatus.KeyRotationEnabled).toBe(false);
    expect(pending.Deleted).toBeUndefined();

    const gone = view(30);
    expect(gone.Revision).toBe(6);
    expect(gone.KeyMetadata).toMatchObject({ KeyState: 'Deleted', Enabled: false, DeletionDate: Date.parse('2027-01-12T10:10:00.500Z') / 1000 });
    expect(gone.Deleted).toEqual({ DeletionDate: '2027-01-12T10:10:00.500Z', KeyMaterialsShredded: 2 });
    expect(gone.Aliases).toEqual([]);
    expect(gone.KeyMaterials!.map((m) => m.KeyMaterialState)).toEqual(['NON_CURRENT', 'CURRENT']);
  });

  it('aliasesAt ignores other streams’ events of unknown types and aliases of other keys', () => {
    const noise = event('kms-alias-000000000000:us-east-1:alias/other', 0, 1, 'AliasCreated.v1', { aliasName: 'alias/other', aliasArn: 'y', target: target(OTHER), creationDate: iso(1) });
    expect(aliasesAt(KEY, [...aliasEvents, noise, event(aliasStream, 9, 2, 'SomethingNew.v1', {})], at(2))).toEqual(['alias/orders']);
  });
});

describe('state view of an EXTERNAL key rotated to a second imported material', () => {
  it('lists the import state of each material and the material pending rotation last', () => {
    const imported = (revision: number, minutes: number, keyMaterialId: string, materialState: string) =>
      keyEvent(revision, minutes, 'KeyMaterialImported.v1', {
        keyMaterialId, importType: 'NEW_KEY_MATERIAL', reimport: false, materialState, expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        importTokenId: 't', wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048',
      });
    const external = [
      keyEvent(0, 0, 'KeyCreated.v1', { keyId: KEY, arn: ARN, accountId: '000000000000', region: 'us-east-1', description: 'x', keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'EXTERNAL', multiRegion: false, creationDate: iso(0) }),
      imported(1, 1, FIRST, 'CURRENT'),
      imported(2, 2, SECOND, 'PENDING_ROTATION'),
      keyEvent(3, 3, 'KeyMaterialRotated.v1', { keyMaterialId: SECOND, previousKeyMaterialId: FIRST, rotationType: 'ON_DEMAND', rotationDate: iso(3) }),
    ];
    expect(keyStateView(keyStateAt(KEY, external, { asOf: at(2) }), []).KeyMaterials).toEqual([
      { KeyMaterialId: FIRST, KeyMaterialState: 'CURRENT', ImportState: 'IMPORTED' },
      { KeyMaterialId: SECOND, KeyMaterialState: 'PENDING_ROTATION', ImportState: 'IMPORTED' },
    ]);
    const rotated = keyStateView(keyStateAt(KEY, external, { asOf: at(3) }), []);
    expect(rotated.KeyMetadata).toMatchObject({ KeyState: 'Enabled', CurrentKeyMaterialId: SECOND, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    expect(rotated.KeyMaterials).toEqual([
      { KeyMaterialId: FIRST, KeyMaterialState: 'NON_CURRENT', ImportState: 'IMPORTED' },
      { KeyMaterialId: SECOND, KeyMaterialState: 'CURRENT', ImportState: 'IMPORTED', RotationType: 'ON_DEMAND', RotationDate: at(3) / 1000 },
    ]);
  });
});

describe('keyStateAtInPages', () => {
  /** Serves the stream by revision range, recording each range asked for. */
  const pagedReader = (events: readonly RecordedEvent[]) => {
    const reads: Array<[number, number]> = [];
    const read = (fromRevision: number, maxCount: number) => {
      reads.push([fromRevision, maxCount]);
      return events.slice(fromRevision, fromRevision + maxCount);
    };
    return { read, reads };
  };

  it('gives what keyStateAt gives for every moment, revision and page size', async () => {
    for (const pageSize of [1, 2, 3, 7, 100]) {
      for (const bound of [{ asOf: at(0) }, { asOf: at(5) }, { asOf: at(9) }, { asOf: at(30) }, { revision: 3 }, { revision: 6 }, { asOf: at(20), revision: 4 }]) {
        expect(await keyStateAtInPages(KEY, pagedReader(stream).read, bound, pageSize)).toEqual(keyStateAt(KEY, stream, bound));
      }
    }
    await expect(keyStateAtInPages(KEY, pagedReader(stream).read, { asOf: 0 }, 2)).rejects.toThrow(`Key '${KEY}' did not exist yet at 1970-01-01T00:00:00.000Z (created ${iso(0)}).`);
  });

  it('reads no page past the one holding the first event after the moment, and nothing of an empty stream', async () => {
    const reader = pagedReader(stream);
    expect((await keyStateAtInPages(KEY, reader.read, { asOf: at(3) }, 2))!.revision).toBe(1);
    expect(reader.reads).toEqual([[0, 2], [2, 2]]); // revision 2 (minute 4) is past the moment
    expect(await keyStateAtInPages(KEY, pagedReader([]).read, { asOf: at(3) })).toBeUndefined();
  });

  it('a long history is folded in pages with the event loop running between them', async () => {
    const long = [stream[0], ...Array.from({ length: 2000 }, (_, n) => keyEvent(n + 1, 1 + n / 1000, 'KeyTagged.v1', { tags: [{ TagKey: 'n', TagValue: String(n) }] }))];
    let immediates = 0;
    let done = false;
    const count = () => {
      immediates++;
      if (!done) setImmediate(count);
    };
    setImmediate(count);
    const state = await keyStateAtInPages(KEY, pagedReader(long).read, { asOf: at(10) });
    done = true;
    expect(state!.revision).toBe(2000);
    expect(state!.state.tags).toEqual([{ TagKey: 'env', TagValue: 'dev' }, { TagKey: 'n', TagValue: '1999' }]);
    expect(immediates).toBeGreaterThanOrEqual(4); // five pages of 500 (the last one short), four pauses
  });
});
