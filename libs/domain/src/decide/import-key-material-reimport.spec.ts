import { ImportKeyMaterialCommand } from '../commands';
import { effectiveState, keyStateName } from '../key-lifecycle';
import { toKeyMetadata } from '../key-metadata';
import { KeySpec } from '../key-spec';
import {
  DAY_MS,
  expiringMaterialImported,
  externalKey,
  given,
  importMaterial,
  KEY_ARN,
  MAT_A,
  MAT_B,
  MAT_C,
  materialDeleted,
  materialExpired,
  materialImported,
  T0,
  token,
} from '../testing/given-when-then';
import { toIso } from '../time';

/** ImportKeyMaterial on a key that already has material: the same-material rule, rotation, symmetric-only members. */
describe('ImportKeyMaterial (re-import and new material)', () => {
  const withA = [externalKey(), materialImported()];
  const T1 = T0 + DAY_MS;

  describe('re-import of the same material', () => {
    it('defaults to EXISTING_KEY_MATERIAL and records reimport=true, keeping the material CURRENT', () => {
      const { decision, after } = given(...withA)
        .when(importMaterial(MAT_A), T1)
        .thenEvents(materialImported({ importType: 'EXISTING_KEY_MATERIAL', reimport: true, materialState: 'CURRENT' }));
      expect(decision.keyMaterialId).toBe(MAT_A);
      expect(after.currentKeyMaterialId).toBe(MAT_A);
      expect(after.materials).toHaveLength(1);
    });

    it('can turn expiration on', () => {
      const validTo = T1 + 30 * DAY_MS;
      const { after } = given(...withA)
        .when(importMaterial(MAT_A, { expirationModel: 'KEY_MATERIAL_EXPIRES', validTo }), T1)
        .thenEvents(
          materialImported({ importType: 'EXISTING_KEY_MATERIAL', reimport: true, expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: toIso(validTo) }),
        );
      const metadata = toKeyMetadata(after, T1);
      expect(metadata.ExpirationModel).toBe('KEY_MATERIAL_EXPIRES');
      expect(metadata.ValidTo).toBe(validTo / 1000);
      expect(keyStateName(effectiveState(after, validTo))).toBe('PendingImport');
    });

    it('can turn expiration off', () => {
      const validTo = T0 + 10 * DAY_MS;
      const { after } = given(externalKey(), expiringMaterialImported(validTo))
        .when(importMaterial(MAT_A, { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }), T1)
        .thenEvents(materialImported({ importType: 'EXISTING_KEY_MATERIAL', reimport: true }));
      expect(after.materials[0].validTo).toBeUndefined();
      const metadata = toKeyMetadata(after, validTo + DAY_MS);
      expect(metadata.ExpirationModel).toBe('KEY_MATERIAL_DOES_NOT_EXPIRE');
      expect(metadata).not.toHaveProperty('ValidTo');
      expect(metadata.KeyState).toBe('Enabled');
    });

    it('can set a new expiration time', () => {
      const first = T0 + 10 * DAY_MS;
      const later = T0 + 100 * DAY_MS;
      const { after } = given(externalKey(), expiringMaterialImported(first))
        .when(importMaterial(MAT_A, { expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: later }), T1)
        .thenEvents(
          materialImported({ importType: 'EXISTING_KEY_MATERIAL', reimport: true, expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: toIso(later) }),
        );
      expect(keyStateName(effectiveState(after, first + 1))).toBe('Enabled');
      expect(toKeyMetadata(after, T1).ValidTo).toBe(later / 1000);
    });

    it('accepts a matching KeyMaterialId with EXISTING_KEY_MATERIAL', () => {
      given(...withA)
        .when(importMaterial(MAT_A, { importType: 'EXISTING_KEY_MATERIAL', keyMaterialId: MAT_A }), T1)
        .thenEvents(materialImported({ importType: 'EXISTING_KEY_MATERIAL', reimport: true }));
    });

    it('keeps the previous KeyMaterialDescription when the re-import omits it', () => {
      const { after } = given(externalKey(), materialImported({ keyMaterialDescription: 'first' }))
        .when(importMaterial(MAT_A), T1)
        .thenEvents(materialImported({ importType: 'EXISTING_KEY_MATERIAL', reimport: true }));
      expect(after.materials[0].description).toBe('first');
    });

    it('replaces the KeyMaterialDescription when the re-import gives one', () => {
      const { after } = given(externalKey(), materialImported({ keyMaterialDescription: 'first' }))
        .when(importMaterial(MAT_A, { keyMaterialDescription: 'second' }), T1)
        .thenEvents(materialImported({ importType: 'EXISTING_KEY_MATERIAL', reimport: true, keyMaterialDescription: 'second' }));
      expect(after.materials[0].description).toBe('second');
    });
  });

  describe('the same-material rule', () => {
    it('refuses different material on a default (EXISTING) re-import', () => {
      given(...withA)
        .when(importMaterial(MAT_B), T1)
        .thenError(
          'IncorrectKeyMaterialException',
          `The key material is not the key material previously imported into ${KEY_ARN}. Reimport the same key material.`,
        );
    });

    it('refuses NEW_KEY_MATERIAL with material already associated with the key', () => {
      given(...withA)
        .when(importMaterial(MAT_A, { importType: 'NEW_KEY_MATERIAL' }), T1)
        .thenError(
          'IncorrectKeyMaterialException',
          `This key material was already imported into ${KEY_ARN}; reimport it with ImportType EXISTING_KEY_MATERIAL.`,
        );
    });

    it('refuses EXISTING_KEY_MATERIAL on a key that never had material', () => {
      given(externalKey())
        .when(importMaterial(MAT_A, { importType: 'EXISTING_KEY_MATERIAL' }), T0)
        .thenError(
          'IncorrectKeyMaterialException',
          `No key material has been imported into ${KEY_ARN} yet; import it with ImportType NEW_KEY_MATERIAL.`,
        );
    });

    it('refuses KeyMaterialId with an explicit NEW_KEY_MATERIAL', () => {
      given(...withA)
        .when(importMaterial(MAT_B, { importType: 'NEW_KEY_MATERIAL', keyMaterialId: MAT_B }), T1)
        .thenError('ValidationException', 'KeyMaterialId cannot be specified when ImportType is NEW_KEY_MATERIAL.');
    });

    // KeyMaterialId + an explicit NEW_KEY_MATERIAL is wrong whatever the key's state: it is request validation
    // and, like the ValidTo rules, should come before the key lookup and the token checks (§14 order).
    it('refuses KeyMaterialId with an explicit NEW_KEY_MATERIAL before looking the key up', () => {
      given()
        .when(importMaterial(MAT_B, { importType: 'NEW_KEY_MATERIAL', keyMaterialId: MAT_B }), T1)
        .thenError('ValidationException', 'KeyMaterialId cannot be specified when ImportType is NEW_KEY_MATERIAL.');
    });

    it('refuses KeyMaterialId with an explicit NEW_KEY_MATERIAL before checking the import token', () => {
      given(...withA)
        .when(importMaterial(MAT_B, { importType: 'NEW_KEY_MATERIAL', keyMaterialId: MAT_B, token: undefined }), T1)
        .thenError('ValidationException', 'KeyMaterialId cannot be specified when ImportType is NEW_KEY_MATERIAL.');
    });

    it('refuses KeyMaterialId on a first import (ImportType defaults to NEW_KEY_MATERIAL)', () => {
      given(externalKey())
        .when(importMaterial(MAT_A, { keyMaterialId: MAT_A }), T0)
        .thenError('ValidationException', 'KeyMaterialId cannot be specified when ImportType is NEW_KEY_MATERIAL.');
    });

    it('refuses a KeyMaterialId that does not match the imported material', () => {
      given(...withA)
        .when(importMaterial(MAT_A, { keyMaterialId: MAT_B }), T1)
        .thenError('IncorrectKeyMaterialException', `The key material does not match KeyMaterialId ${MAT_B}.`);
    });

    it('refuses a matching KeyMaterialId for material that is not associated with the key', () => {
      given(...withA)
        .when(importMaterial(MAT_B, { keyMaterialId: MAT_B }), T1)
        .thenError('IncorrectKeyMaterialException', /is not the key material previously imported/);
    });
  });

  describe('new material for rotation (symmetric keys)', () => {
    it('puts different NEW_KEY_MATERIAL in PENDING_ROTATION; the key stays Enabled and CurrentKeyMaterialId unchanged', () => {
      const { decision, after } = given(...withA)
        .when(importMaterial(MAT_B, { importType: 'NEW_KEY_MATERIAL', keyMaterialDescription: 'next' }), T1)
        .thenEvents(
          materialImported({ keyMaterialId: MAT_B, importType: 'NEW_KEY_MATERIAL', reimport: false, materialState: 'PENDING_ROTATION', keyMaterialDescription: 'next' }),
        );
      expect(decision.keyMaterialId).toBe(MAT_B);
      expect(after.currentKeyMaterialId).toBe(MAT_A);
      expect(keyStateName(effectiveState(after, T1))).toBe('Enabled');
      expect(toKeyMetadata(after, T1).CurrentKeyMaterialId).toBe(MAT_A);
    });

    it('refuses a second material pending rotation (KMSInvalidStateException, AWS message shape)', () => {
      given(...withA, materialImported({ keyMaterialId: MAT_B, materialState: 'PENDING_ROTATION' }))
        .when(importMaterial(MAT_C, { importType: 'NEW_KEY_MATERIAL' }), T1)
        .thenError(
          'KMSInvalidStateException',
          `New key material (id: ${MAT_C}) cannot be imported into KMS key ${KEY_ARN}, because another key material (id: ${MAT_B}) is pending rotation.`,
        );
    });

    it('re-imports the material pending rotation with EXISTING_KEY_MATERIAL, keeping it PENDING_ROTATION', () => {
      const { after } = given(...withA, materialImported({ keyMaterialId: MAT_B, materialState: 'PENDING_ROTATION' }))
        .when(importMaterial(MAT_B, { importType: 'EXISTING_KEY_MATERIAL', keyMaterialId: MAT_B }), T1)
        .thenEvents(materialImported({ keyMaterialId: MAT_B, importType: 'EXISTING_KEY_MATERIAL', reimport: true, materialState: 'PENDING_ROTATION' }));
      expect(after.currentKeyMaterialId).toBe(MAT_A);
    });
  });

  describe('ImportType, KeyMaterialId and KeyMaterialDescription are for symmetric keys only', () => {
    const members: Array<[string, Partial<ImportKeyMaterialCommand>]> = [
      ['ImportType', { importType: 'NEW_KEY_MATERIAL' }],
      ['KeyMaterialId', { keyMaterialId: MAT_A }],
      ['KeyMaterialDescription', { keyMaterialDescription: 'hsm' }],
    ];
    const specs: KeySpec[] = ['HMAC_256', 'RSA_2048', 'ECC_NIST_P256'];
    const cases = specs.flatMap((spec) => members.map(([name, member]) => [spec, name, member] as const));

    it.each(cases)('refuses %s keys with %s (ValidationException)', (spec, _name, member) => {
      given(externalKey(spec))
        .when(importMaterial(MAT_A, member), T0)
        .thenError(
          'ValidationException',
          `ImportType, KeyMaterialId and KeyMaterialDescription are supported only for SYMMETRIC_DEFAULT keys; ${spec} keys have exactly one key material.`,
        );
    });

    it('re-imports the one material of an HMAC key without ImportType', () => {
      given(externalKey('HMAC_256'), materialImported())
        .when(importMaterial(MAT_A), T1)
        .thenEvents(materialImported({ importType: 'EXISTING_KEY_MATERIAL', reimport: true }));
    });

    it('refuses different material for an asymmetric key that already has material', () => {
      given(externalKey('RSA_2048'), materialImported())
        .when(importMaterial(MAT_B), T1)
        .thenError('IncorrectKeyMaterialException', /is not the key material previously imported/);
    });
  });

  describe('restoring material', () => {
    it('restores the key after DeleteImportedKeyMaterial with the same material', () => {
      const { after } = given(...withA, materialDeleted(MAT_A))
        .when(importMaterial(MAT_A), T1)
        .thenEvents(materialImported({ importType: 'EXISTING_KEY_MATERIAL', reimport: true, materialState: 'CURRENT' }));
      expect(keyStateName(effectiveState(after, T1))).toBe('Enabled');
      expect(toKeyMetadata(after, T1).ExpirationModel).toBe('KEY_MATERIAL_DOES_NOT_EXPIRE');
    });

    it('refuses other material after DeleteImportedKeyMaterial', () => {
      given(...withA, materialDeleted(MAT_A))
        .when(importMaterial(MAT_B), T1)
        .thenError('IncorrectKeyMaterialException', /is not the key material previously imported/);
    });

    it('restores the key after expiry with the same material', () => {
      const validTo = T0 + 10 * DAY_MS;
      const later = validTo + DAY_MS;
      const fresh = token({ importTokenId: 'token-2', parametersValidTo: later + DAY_MS });
      const { after } = given(externalKey(), expiringMaterialImported(validTo), materialExpired(MAT_A, validTo))
        .when(importMaterial(MAT_A, { token: fresh }), later)
        .thenEvents(materialImported({ importTokenId: 'token-2', importType: 'EXISTING_KEY_MATERIAL', reimport: true }));
      expect(keyStateName(effectiveState(after, later))).toBe('Enabled');
    });

    it('refuses other material after expiry', () => {
      const validTo = T0 + 10 * DAY_MS;
      const later = validTo + DAY_MS;
      given(externalKey(), expiringMaterialImported(validTo), materialExpired(MAT_A, validTo))
        .when(importMaterial(MAT_B, { token: token({ parametersValidTo: later + DAY_MS }) }), later)
        .thenError('IncorrectKeyMaterialException', /is not the key material previously imported/);
    });
  });
});
