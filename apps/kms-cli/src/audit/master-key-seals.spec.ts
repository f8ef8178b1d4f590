import type { RecordedEvent } from '@keyledger/event-store';
import { ARN, at, event, FIRST, iso, KEY, keyEvent, SECOND } from '../testing/key-event-fixtures';
import { keyStateAt, keyStateView } from '../state/key-state-at';
import { MASTER_KEY_ROTATED, MASTER_KEY_STREAM_ID } from './master-key-seals';

const MASTER_A = 'aaaaaaaaaaaaaaaa';
const MASTER_B = 'bbbbbbbbbbbbbbbb';
const created = (data: object) =>
  keyEvent(0, 0, 'KeyCreated.v1', { keyId: KEY, arn: ARN, accountId: '000000000000', region: 'us-east-1', description: '', keyUsage: 'ENCRYPT_DECRYPT', multiRegion: false, creationDate: iso(0), ...data });
const imported = (revision: number, minutes: number, keyMaterialId: string, extra: object = {}) =>
  keyEvent(revision, minutes, 'KeyMaterialImported.v1', {
    keyMaterialId, importType: 'NEW_KEY_MATERIAL', reimport: false, materialState: 'CURRENT', expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', importTokenId: 't', wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048', ...extra,
  });
const resealed = (minutes: number, rewrapped: Array<{ keyId: string; keyMaterialId: string }>) =>
  event(MASTER_KEY_STREAM_ID, 0, minutes, MASTER_KEY_ROTATED, { fromMasterKeyIds: [MASTER_A], toMasterKeyId: MASTER_B, rewrapped, remaining: 0 });

/** An AWS_KMS key created under A, rotated on demand under A; the vault re-sealed under B at minute 10. */
const awsStream = [
  created({ keySpec: 'SYMMETRIC_DEFAULT', origin: 'AWS_KMS', keyMaterialId: FIRST, sealedUnderMasterKeyId: MASTER_A }),
  keyEvent(1, 4, 'KeyMaterialRotated.v1', { keyMaterialId: SECOND, previousKeyMaterialId: FIRST, rotationType: 'ON_DEMAND', rotationDate: iso(4), sealedUnderMasterKeyId: MASTER_A }),
];
const rotation = [resealed(10, [{ keyId: KEY, keyMaterialId: FIRST }, { keyId: KEY, keyMaterialId: SECOND }])];
const sealedUnder = (stream: RecordedEvent[], minutes: number, masterKeyEvents: RecordedEvent[] = rotation) =>
  keyStateView(keyStateAt(KEY, stream, { asOf: at(minutes) }), [], masterKeyEvents).KeyMaterials?.map((m) => [m.KeyMaterialId, m.SealedUnderMasterKeyId]);

describe('state: the master key each material is sealed under', () => {
  it('as its key event recorded it, then as MasterKeyRotated.v1 re-sealed it, at each moment', () => {
    expect(sealedUnder(awsStream, 5)).toEqual([
      [FIRST, MASTER_A],
      [SECOND, MASTER_A],
    ]);
    expect(sealedUnder(awsStream, 11)).toEqual([
      [FIRST, MASTER_B],
      [SECOND, MASTER_B],
    ]);
  });

  it('a re-seal that does not name the material, or came before its seal, does not change it', () => {
    const other = [resealed(10, [{ keyId: 'another-key', keyMaterialId: FIRST }])];
    expect(sealedUnder(awsStream, 11, other)).toEqual([
      [FIRST, MASTER_A],
      [SECOND, MASTER_A],
    ]);
    const reimportedLater = [created({ keySpec: 'SYMMETRIC_DEFAULT', origin: 'EXTERNAL' }), imported(1, 12, FIRST, { sealedUnderMasterKeyId: MASTER_A })];
    expect(sealedUnder(reimportedLater, 13)).toEqual([[FIRST, MASTER_A]]);
  });

  it('events recorded before the field: nothing shown (unless a re-seal names the material); deleted material: nothing', () => {
    const external = [created({ keySpec: 'SYMMETRIC_DEFAULT', origin: 'EXTERNAL' }), imported(1, 1, FIRST)];
    expect(sealedUnder(external, 2, [])).toEqual([[FIRST, undefined]]);
    expect(keyStateView(keyStateAt(KEY, external, { asOf: at(2) }), []).KeyMaterials![0]).not.toHaveProperty('SealedUnderMasterKeyId');
    expect(sealedUnder(external, 11)).toEqual([[FIRST, MASTER_B]]);
    const deleted = [...external, keyEvent(2, 3, 'KeyMaterialDeleted.v1', { keyMaterialId: FIRST })];
    expect(sealedUnder(deleted, 4)).toEqual([[FIRST, undefined]]);
  });

  it('asymmetric keys (one unnamed material) show it beside the metadata', () => {
    const ecc = [created({ keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY', origin: 'AWS_KMS', keyMaterialId: FIRST, sealedUnderMasterKeyId: MASTER_A })];
    const view = keyStateView(keyStateAt(KEY, ecc, { asOf: at(1) }), [], []);
    expect(view.KeyMaterials).toBeUndefined();
    expect(view.KeyMaterialSealedUnderMasterKeyId).toBe(MASTER_A);
  });
});
