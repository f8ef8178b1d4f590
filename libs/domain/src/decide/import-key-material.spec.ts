import { KeySpec } from '../key-spec';
import { effectiveState, keyStateName } from '../key-lifecycle';
import {
  DAY_MS,
  externalKey,
  given,
  HOUR_MS,
  importMaterial,
  KEY_ARN,
  keyCreated,
  MAT_A,
  materialImported,
  T0,
  token,
} from '../testing/given-when-then';
import { toIso } from '../time';

/** ImportKeyMaterial: request validation, key checks, token/ciphertext/material checks and the first import. */
describe('ImportKeyMaterial', () => {
  describe('ExpirationModel / ValidTo (request validation)', () => {
    it('requires ValidTo when ExpirationModel defaults to KEY_MATERIAL_EXPIRES (AWS message)', () => {
      given(externalKey())
        .when(importMaterial(MAT_A, { expirationModel: undefined }), T0)
        .thenError('ValidationException', 'A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES');
    });

    it('requires ValidTo when ExpirationModel is KEY_MATERIAL_EXPIRES explicitly', () => {
      given(externalKey())
        .when(importMaterial(MAT_A, { expirationModel: 'KEY_MATERIAL_EXPIRES' }), T0)
        .thenError('ValidationException', 'A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES');
    });

    it('refuses ValidTo together with KEY_MATERIAL_DOES_NOT_EXPIRE', () => {
      given(externalKey())
        .when(importMaterial(MAT_A, { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', validTo: T0 + DAY_MS }), T0)
        .thenError('ValidationException', 'A validTo date cannot be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE');
    });

    it('refuses ValidTo in the past', () => {
      given(externalKey())
        .when(importMaterial(MAT_A, { expirationModel: undefined, validTo: T0 - 1 }), T0)
        .thenError('ValidationException', 'The validTo date must be in the future.');
    });

    it('refuses ValidTo exactly now', () => {
      given(externalKey())
        .when(importMaterial(MAT_A, { expirationModel: undefined, validTo: T0 }), T0)
        .thenError('ValidationException', 'The validTo date must be in the future.');
    });

    it('refuses ValidTo more than 365 days ahead', () => {
      given(externalKey())
        .when(importMaterial(MAT_A, { expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: T0 + 365 * DAY_MS + 1 }), T0)
        .thenError('ValidationException', 'The validTo date must be no more than 365 days in the future.');
    });

    it('accepts ValidTo exactly 365 days ahead', () => {
      const validTo = T0 + 365 * DAY_MS;
      given(externalKey())
        .when(importMaterial(MAT_A, { expirationModel: undefined, validTo }), T0)
        .thenEvents(materialImported({ expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: toIso(validTo) }));
    });

    it('accepts ValidTo one millisecond ahead (no minimum)', () => {
      given(externalKey())
        .when(importMaterial(MAT_A, { expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: T0 + 1 }), T0)
        .thenEvents(materialImported({ expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: toIso(T0 + 1) }));
    });

    it('validates the request before looking the key up', () => {
      given()
        .when(importMaterial(MAT_A, { expirationModel: undefined }), T0)
        .thenError('ValidationException', 'A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES');
    });
  });

  describe('the key', () => {
    it('must exist (full ARN in the message)', () => {
      given().when(importMaterial(), T0).thenError('NotFoundException', `Key '${KEY_ARN}' does not exist`);
    });

    it('must have Origin EXTERNAL', () => {
      given(keyCreated({ origin: 'AWS_KMS', keyMaterialId: MAT_A }))
        .when(importMaterial(), T0)
        .thenError('UnsupportedOperationException', `${KEY_ARN} origin is AWS_KMS which is not valid for this operation.`);
    });
  });

  describe('token, ciphertext and material checks', () => {
    const INVALID_TOKEN = 'The import token is invalid or is associated with a different KMS key.';

    it('refuses a missing (unreadable, forged) token', () => {
      given(externalKey()).when(importMaterial(MAT_A, { token: undefined }), T0).thenError('InvalidImportTokenException', INVALID_TOKEN);
    });

    it('refuses a token issued for another key', () => {
      const otherKey = 'arn:aws:kms:us-east-1:111122223333:key/0000abcd-12ab-34cd-56ef-1234567890ab';
      given(externalKey())
        .when(importMaterial(MAT_A, { token: token({ keyArn: otherKey }) }), T0)
        .thenError('InvalidImportTokenException', INVALID_TOKEN);
    });

    it('refuses an expired token (now > ParametersValidTo)', () => {
      const parametersValidTo = T0 + DAY_MS;
      given(externalKey())
        .when(importMaterial(MAT_A, { token: token({ parametersValidTo }) }), parametersValidTo + 1)
        .thenError(
          'ExpiredImportTokenException',
          'The import token expired at 2025-01-02T00:00:00.000Z. Call GetParametersForImport for a new import token and public key.',
        );
    });

    it('accepts a token used exactly at ParametersValidTo', () => {
      const parametersValidTo = T0 + DAY_MS;
      given(externalKey())
        .when(importMaterial(MAT_A, { token: token({ parametersValidTo }) }), parametersValidTo)
        .thenEvents(materialImported());
    });

    it('refuses material that cannot be unwrapped (InvalidCiphertextException naming the algorithm)', () => {
      given(externalKey())
        .when(importMaterial(MAT_A, { token: token({ wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_1' }), unwrap: { outcome: 'undecryptable' } }), T0)
        .thenError(
          'InvalidCiphertextException',
          'The encrypted key material could not be decrypted with the wrapping key and the RSA_AES_KEY_WRAP_SHA_1 algorithm of this import token.',
        );
    });

    it('refuses unsuitable material with IncorrectKeyMaterialException carrying the problem text', () => {
      const problem = 'Symmetric key material must be 32 bytes; got 16.';
      given(externalKey())
        .when(importMaterial(MAT_A, { unwrap: { outcome: 'unwrapped', keyMaterialId: MAT_A, materialProblem: problem } }), T0)
        .thenError('IncorrectKeyMaterialException', problem);
    });

    it('checks the token before the ciphertext', () => {
      given(externalKey())
        .when(importMaterial(MAT_A, { token: undefined, unwrap: { outcome: 'undecryptable' } }), T0)
        .thenError('InvalidImportTokenException', /import token is invalid/);
    });

    it('checks token expiry before the ciphertext', () => {
      given(externalKey())
        .when(importMaterial(MAT_A, { unwrap: { outcome: 'undecryptable' } }), T0 + 2 * DAY_MS)
        .thenError('ExpiredImportTokenException', /^The import token expired at /);
    });
  });

  describe('first import', () => {
    it('makes the material CURRENT as NEW_KEY_MATERIAL and the key Enabled', () => {
      const { decision, after } = given(externalKey()).when(importMaterial(), T0).thenEvents(
        materialImported({
          keyMaterialId: MAT_A,
          importType: 'NEW_KEY_MATERIAL',
          reimport: false,
          materialState: 'CURRENT',
          expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
          importTokenId: 'token-1',
          wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
          wrappingKeySpec: 'RSA_4096',
        }),
      );
      expect(decision.keyMaterialId).toBe(MAT_A);
      expect(after.currentKeyMaterialId).toBe(MAT_A);
      expect(keyStateName(effectiveState(after, T0))).toBe('Enabled');
    });

    it('records the token id, wrapping algorithm and wrapping key spec of the token used', () => {
      const used = token({ importTokenId: 'token-7', wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256', wrappingKeySpec: 'RSA_3072' });
      given(externalKey())
        .when(importMaterial(MAT_A, { token: used }), T0)
        .thenEvents(materialImported({ importTokenId: 'token-7', wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256', wrappingKeySpec: 'RSA_3072' }));
    });

    it('records ValidTo as ISO and the key expires at it', () => {
      const validTo = T0 + 30 * DAY_MS;
      const { after } = given(externalKey())
        .when(importMaterial(MAT_A, { expirationModel: 'KEY_MATERIAL_EXPIRES', validTo }), T0)
        .thenEvents(materialImported({ expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: '2025-01-31T00:00:00.000Z' }));
      expect(keyStateName(effectiveState(after, validTo - 1))).toBe('Enabled');
      expect(keyStateName(effectiveState(after, validTo))).toBe('PendingImport');
    });

    it('records the KeyMaterialDescription', () => {
      const { after } = given(externalKey())
        .when(importMaterial(MAT_A, { keyMaterialDescription: 'from HSM 2' }), T0)
        .thenEvents(materialImported({ keyMaterialDescription: 'from HSM 2' }));
      expect(after.materials[0].description).toBe('from HSM 2');
    });

    it('accepts an explicit ImportType NEW_KEY_MATERIAL', () => {
      given(externalKey()).when(importMaterial(MAT_A, { importType: 'NEW_KEY_MATERIAL' }), T0).thenEvents(materialImported());
    });

    it.each(['HMAC_256', 'RSA_2048', 'ECC_NIST_P521', 'ECC_SECG_P256K1'] as KeySpec[])('works the same for a %s key', (spec) => {
      const { after } = given(externalKey(spec)).when(importMaterial(), T0 + HOUR_MS).thenEvents(materialImported());
      expect(keyStateName(effectiveState(after, T0 + HOUR_MS))).toBe('Enabled');
    });
  });
});
