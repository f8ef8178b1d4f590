import { KeyEventTypes } from '../events';
import { foldEvents } from '../key-state';
import { toIso } from '../time';
import {
  awsKmsKey,
  DAY_MS,
  externalKey,
  given,
  importMaterial,
  KEY_ARN,
  KEY_ID,
  ACCOUNT,
  REGION,
  keyCreated,
  MAT_A,
  MAT_B,
  materialImported,
  rotationEnabled,
  T0,
} from '../testing/given-when-then';

/** The master key id the edge names in the command is recorded, as given, only on events that bring material in. */
const MASTER_KEY_ID = '0123456789abcdef';

describe('sealedUnderMasterKeyId', () => {
  it('KeyCreated of an AWS_KMS key records it; an EXTERNAL key (no material) does not', () => {
    const create = { kind: 'CreateKey', keyId: KEY_ID, accountId: ACCOUNT, region: REGION, description: '', keySpec: 'SYMMETRIC_DEFAULT', multiRegion: false } as const;
    given()
      .when({ ...create, origin: 'AWS_KMS', generatedKeyMaterialId: MAT_A, sealedUnderMasterKeyId: MASTER_KEY_ID }, T0)
      .thenEvents(keyCreated({ origin: 'AWS_KMS', keyMaterialId: MAT_A, sealedUnderMasterKeyId: MASTER_KEY_ID }));
    given().when({ ...create, origin: 'EXTERNAL', sealedUnderMasterKeyId: MASTER_KEY_ID }, T0).thenEvents(keyCreated());
  });

  it('KeyMaterialImported records it, on a first import and a re-import', () => {
    given(externalKey())
      .when(importMaterial(MAT_A, { sealedUnderMasterKeyId: MASTER_KEY_ID }), T0)
      .thenEvents(materialImported({ sealedUnderMasterKeyId: MASTER_KEY_ID }));
    given(externalKey(), materialImported())
      .when(importMaterial(MAT_A, { sealedUnderMasterKeyId: MASTER_KEY_ID }), T0)
      .thenEvents(materialImported({ importType: 'EXISTING_KEY_MATERIAL', reimport: true, sealedUnderMasterKeyId: MASTER_KEY_ID }));
  });

  it('old events without it stay valid: the fold is the same with or without the field', () => {
    const without = foldEvents([externalKey(), materialImported()]);
    const withIt = foldEvents([externalKey(), materialImported({ sealedUnderMasterKeyId: MASTER_KEY_ID })]);
    expect(withIt).toEqual(without);
  });

  it('KeyMaterialRotated records it for generated material (on demand and automatic), not for EXTERNAL material', () => {
    const rotateOnDemand = { kind: 'RotateKeyOnDemand', keyArn: KEY_ARN, generatedKeyMaterialId: MAT_B, sealedUnderMasterKeyId: MASTER_KEY_ID } as const;
    given(awsKmsKey())
      .when(rotateOnDemand, T0)
      .thenEvents({
        type: KeyEventTypes.KeyMaterialRotated,
        data: { keyMaterialId: MAT_B, previousKeyMaterialId: MAT_A, rotationType: 'ON_DEMAND', rotationDate: toIso(T0), sealedUnderMasterKeyId: MASTER_KEY_ID },
      });
    const due = T0 + 91 * DAY_MS;
    given(awsKmsKey(), rotationEnabled(T0, 90))
      .when({ ...rotateOnDemand, kind: 'RotateKeyAutomatically' }, due)
      .thenEvents({
        type: KeyEventTypes.KeyMaterialRotated,
        data: {
          keyMaterialId: MAT_B,
          previousKeyMaterialId: MAT_A,
          rotationType: 'AUTOMATIC',
          rotationDate: toIso(due),
          nextRotationDate: toIso(due + 90 * DAY_MS),
          sealedUnderMasterKeyId: MASTER_KEY_ID,
        },
      });
    // EXTERNAL: the material pending rotation was sealed (and recorded) when it was imported.
    given(externalKey(), materialImported(), materialImported({ keyMaterialId: MAT_B, materialState: 'PENDING_ROTATION' }))
      .when({ kind: 'RotateKeyOnDemand', keyArn: KEY_ARN, sealedUnderMasterKeyId: MASTER_KEY_ID }, T0)
      .thenEvents({ type: KeyEventTypes.KeyMaterialRotated, data: { keyMaterialId: MAT_B, previousKeyMaterialId: MAT_A, rotationType: 'ON_DEMAND', rotationDate: toIso(T0) } });
  });
});
