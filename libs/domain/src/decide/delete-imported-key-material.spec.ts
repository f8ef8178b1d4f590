import { DeleteImportedKeyMaterialCommand } from '../commands';
import { effectiveState, keyStateName } from '../key-lifecycle';
import { toKeyMetadata } from '../key-metadata';
import {
  DAY_MS,
  expiringMaterialImported,
  externalKey,
  given,
  importMaterial,
  KEY_ARN,
  keyCreated,
  MAT_A,
  MAT_B,
  MAT_C,
  materialDeleted,
  materialImported,
  T0,
} from '../testing/given-when-then';

const deleteMaterial = (keyMaterialId?: string): DeleteImportedKeyMaterialCommand => ({
  kind: 'DeleteImportedKeyMaterial',
  keyArn: KEY_ARN,
  ...(keyMaterialId !== undefined ? { keyMaterialId } : {}),
});

describe('DeleteImportedKeyMaterial', () => {
  const T1 = T0 + DAY_MS;
  const withA = [externalKey(), materialImported()];
  const withPendingB = [...withA, materialImported({ keyMaterialId: MAT_B, materialState: 'PENDING_ROTATION' })];

  it('deletes the current material by default: key PendingImport, Enabled false', () => {
    const { decision, after } = given(...withA).when(deleteMaterial(), T1).thenEvents(materialDeleted(MAT_A));
    expect(decision.keyMaterialId).toBe(MAT_A);
    expect(keyStateName(effectiveState(after, T1))).toBe('PendingImport');
    const metadata = toKeyMetadata(after, T1);
    expect(metadata.KeyState).toBe('PendingImport');
    expect(metadata.Enabled).toBe(false);
  });

  it('removes ExpirationModel and ValidTo from KeyMetadata and keeps CurrentKeyMaterialId', () => {
    const { after } = given(externalKey(), expiringMaterialImported(T0 + 30 * DAY_MS))
      .when(deleteMaterial(), T1)
      .thenEvents(materialDeleted(MAT_A));
    const metadata = toKeyMetadata(after, T1);
    expect(metadata).not.toHaveProperty('ExpirationModel');
    expect(metadata).not.toHaveProperty('ValidTo');
    expect(metadata.CurrentKeyMaterialId).toBe(MAT_A);
  });

  it('deletes the material named by KeyMaterialId', () => {
    given(...withA).when(deleteMaterial(MAT_A), T1).thenEvents(materialDeleted(MAT_A));
  });

  it('records nothing when no material was ever imported (no effect)', () => {
    const { decision } = given(externalKey()).when(deleteMaterial(), T1).thenNoEvents();
    expect(decision.keyMaterialId).toBeUndefined();
  });

  it('records nothing when the material is already deleted (no effect), answering with its id', () => {
    const { decision } = given(...withA, materialDeleted(MAT_A)).when(deleteMaterial(), T1).thenNoEvents();
    expect(decision.keyMaterialId).toBe(MAT_A);
  });

  it('refuses a KeyMaterialId that is not associated with the key (NotFoundException)', () => {
    given(...withA)
      .when(deleteMaterial(MAT_C), T1)
      .thenError('NotFoundException', `Key material '${MAT_C}' is not associated with ${KEY_ARN}.`);
  });

  it('deletes material pending rotation without changing the key state or the current material', () => {
    const { decision, after } = given(...withPendingB).when(deleteMaterial(MAT_B), T1).thenEvents(materialDeleted(MAT_B));
    expect(decision.keyMaterialId).toBe(MAT_B);
    expect(after.materials.map((m) => m.keyMaterialId)).toEqual([MAT_A]);
    expect(after.currentKeyMaterialId).toBe(MAT_A);
    expect(keyStateName(effectiveState(after, T1))).toBe('Enabled');
  });

  it('lets different material be imported as NEW after the pending-rotation material was deleted', () => {
    given(...withPendingB, materialDeleted(MAT_B))
      .when(importMaterial(MAT_C, { importType: 'NEW_KEY_MATERIAL' }), T1)
      .thenEvents(materialImported({ keyMaterialId: MAT_C, importType: 'NEW_KEY_MATERIAL', reimport: false, materialState: 'PENDING_ROTATION' }));
  });

  it('no longer knows deleted pending-rotation material (it was never permanently associated)', () => {
    given(...withPendingB, materialDeleted(MAT_B))
      .when(deleteMaterial(MAT_B), T1)
      .thenError('NotFoundException', `Key material '${MAT_B}' is not associated with ${KEY_ARN}.`);
  });

  it('deletes the one material of an asymmetric key: PendingImport, still no CurrentKeyMaterialId', () => {
    const { after } = given(externalKey('RSA_3072'), materialImported()).when(deleteMaterial(), T1).thenEvents(materialDeleted(MAT_A));
    const metadata = toKeyMetadata(after, T1);
    expect(metadata.KeyState).toBe('PendingImport');
    expect(metadata).not.toHaveProperty('CurrentKeyMaterialId');
  });

  it('refuses an AWS_KMS key (AWS message)', () => {
    given(keyCreated({ origin: 'AWS_KMS', keyMaterialId: MAT_A }))
      .when(deleteMaterial(), T1)
      .thenError('UnsupportedOperationException', `${KEY_ARN} origin is AWS_KMS which is not valid for this operation.`);
  });

  it('refuses a key that does not exist', () => {
    given().when(deleteMaterial(), T1).thenError('NotFoundException', `Key '${KEY_ARN}' does not exist`);
  });

  it('treats the same key id in another account or region as not found, and changes nothing', () => {
    for (const foreignArn of [KEY_ARN.replace(':111122223333:', ':000000000000:'), KEY_ARN.replace(':us-east-1:', ':eu-west-1:')]) {
      expect(foreignArn).not.toBe(KEY_ARN);
      given(...withA)
        .when({ kind: 'DeleteImportedKeyMaterial', keyArn: foreignArn }, T1)
        .thenError('NotFoundException', `Key '${foreignArn}' does not exist`);
    }
  });
});
