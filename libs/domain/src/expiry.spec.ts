import { ExpireKeyMaterialCommand, IssueImportParametersCommand } from './commands';
import { KeyEventTypes } from './events';
import { effectiveState, keyStateName, materialsDueForExpiry } from './key-lifecycle';
import { toKeyMetadata } from './key-metadata';
import { foldEvents } from './key-state';
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
  materialDeleted,
  materialExpired,
  materialImported,
  T0,
  token,
} from './testing/given-when-then';
import { toIso } from './time';

const expire: ExpireKeyMaterialCommand = { kind: 'ExpireKeyMaterial', keyArn: KEY_ARN };

/** Material A expires at V. */
const V = T0 + 10 * DAY_MS;
const withExpiringA = [externalKey(), expiringMaterialImported(V)];

describe('key material expiry', () => {
  describe('ExpireKeyMaterial (the expiry job)', () => {
    it('records nothing before ValidTo', () => {
      given(...withExpiringA).when(expire, V - 1).thenNoEvents();
    });

    it('records KeyMaterialExpired exactly at ValidTo, on the service\'s behalf; the key becomes PendingImport', () => {
      const { after } = given(...withExpiringA).when(expire, V).thenEvents(materialExpired(MAT_A, V, true));
      expect(keyStateName(effectiveState(after, V))).toBe('PendingImport');
      expect(after.materials).toEqual([{ keyMaterialId: MAT_A, materialState: 'CURRENT', importState: 'PENDING_IMPORT', description: undefined }]);
    });

    it('records the material\'s ValidTo (not the time of the job) when run late', () => {
      given(...withExpiringA).when(expire, V + 3 * DAY_MS).thenEvents(materialExpired(MAT_A, V, true));
    });

    it('records one event per material that is due', () => {
      const vb = T0 + 5 * DAY_MS;
      const history = [...withExpiringA, expiringMaterialImported(vb, { keyMaterialId: MAT_B, materialState: 'PENDING_ROTATION' })];
      given(...history).when(expire, V + 1).thenEvents(materialExpired(MAT_A, V, true), materialExpired(MAT_B, vb, true));
    });

    it('expires only the materials that are due; an expired pending-rotation material goes away and the key stays Enabled', () => {
      const vb = T0 + 5 * DAY_MS;
      const history = [...withExpiringA, expiringMaterialImported(vb, { keyMaterialId: MAT_B, materialState: 'PENDING_ROTATION' })];
      const { after } = given(...history).when(expire, vb).thenEvents(materialExpired(MAT_B, vb, true));
      expect(after.materials.map((m) => m.keyMaterialId)).toEqual([MAT_A]);
      expect(keyStateName(effectiveState(after, vb))).toBe('Enabled');
    });

    it('is idempotent: material already recorded as expired is not recorded again', () => {
      given(...withExpiringA, materialExpired(MAT_A, V)).when(expire, V + DAY_MS).thenNoEvents();
    });

    it('folding KeyMaterialExpired twice gives the same state as once', () => {
      const once = foldEvents([...withExpiringA, materialExpired(MAT_A, V)]);
      expect(foldEvents([materialExpired(MAT_A, V)], once)).toStrictEqual(once);
    });

    it('never expires KEY_MATERIAL_DOES_NOT_EXPIRE material', () => {
      const muchLater = T0 + 3650 * DAY_MS;
      const { after } = given(externalKey(), materialImported()).when(expire, muchLater).thenNoEvents();
      expect(keyStateName(effectiveState(after, muchLater))).toBe('Enabled');
    });

    it('does not expire material that was deleted before its ValidTo', () => {
      given(...withExpiringA, materialDeleted(MAT_A)).when(expire, V + 1).thenNoEvents();
    });

    it('records nothing for an AWS_KMS key', () => {
      given(keyCreated({ origin: 'AWS_KMS', keyMaterialId: MAT_A })).when(expire, V).thenNoEvents();
    });
  });

  describe('effectiveState (expiry seen before it is recorded)', () => {
    const state = foldEvents(withExpiringA);

    it('still shows the key Enabled one millisecond before ValidTo', () => {
      expect(keyStateName(effectiveState(state, V - 1))).toBe('Enabled');
      expect(effectiveState(state, V - 1)).toBe(state);
    });

    it('shows the key PendingImport exactly at ValidTo, with no KeyMaterialExpired recorded', () => {
      expect(keyStateName(effectiveState(state, V))).toBe('PendingImport');
      expect(state.materials[0].importState).toBe('IMPORTED'); // the recorded state is untouched
    });

    it('matches the state that recording the expiry would give', () => {
      expect(effectiveState(state, V)).toStrictEqual(foldEvents([materialExpired(MAT_A, V)], state));
    });

    it('hides expired material from KeyMetadata', () => {
      const metadata = toKeyMetadata(state, V);
      expect(metadata.KeyState).toBe('PendingImport');
      expect(metadata.Enabled).toBe(false);
      expect(metadata).not.toHaveProperty('ExpirationModel');
      expect(metadata).not.toHaveProperty('ValidTo');
      expect(metadata.CurrentKeyMaterialId).toBe(MAT_A);
    });

    it('lists the materials due for expiry', () => {
      expect(materialsDueForExpiry(state, V - 1)).toEqual([]);
      expect(materialsDueForExpiry(state, V).map((m) => m.keyMaterialId)).toEqual([MAT_A]);
    });
  });

  describe('other commands decided after ValidTo record the expiry first (initiatedBy service)', () => {
    const later = V + DAY_MS;

    it('IssueImportParameters', () => {
      const issue: IssueImportParametersCommand = {
        kind: 'IssueImportParameters',
        keyArn: KEY_ARN,
        wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
        wrappingKeySpec: 'RSA_2048',
        importTokenId: 'token-2',
        parametersValidTo: later + DAY_MS,
        publicKeyFingerprint: 'f'.repeat(64),
      };
      given(...withExpiringA)
        .when(issue, later)
        .thenEvents(materialExpired(MAT_A, V, true), {
          type: KeyEventTypes.ImportParametersIssued,
          data: {
            importTokenId: 'token-2',
            wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
            wrappingKeySpec: 'RSA_2048',
            parametersValidTo: toIso(later + DAY_MS),
            publicKeyFingerprint: 'f'.repeat(64),
          },
        });
    });

    it('ImportKeyMaterial of the same material (a re-import that restores the key)', () => {
      const { after } = given(...withExpiringA)
        .when(importMaterial(MAT_A, { token: token({ parametersValidTo: later }) }), later)
        .thenEvents(materialExpired(MAT_A, V, true), materialImported({ importType: 'EXISTING_KEY_MATERIAL', reimport: true }));
      expect(keyStateName(effectiveState(after, later))).toBe('Enabled');
    });

    it('DeleteImportedKeyMaterial (the material is already gone: only the expiry is recorded)', () => {
      const { decision } = given(...withExpiringA).when({ kind: 'DeleteImportedKeyMaterial', keyArn: KEY_ARN }, later).thenEvents(materialExpired(MAT_A, V, true));
      expect(decision.keyMaterialId).toBe(MAT_A);
    });

    it('marks only the expiry as service-initiated, not the caller\'s own event', () => {
      const { decision } = given(...withExpiringA)
        .when(importMaterial(MAT_A, { token: token({ parametersValidTo: later }) }), later)
        .thenEvents(materialExpired(MAT_A, V, true), materialImported({ importType: 'EXISTING_KEY_MATERIAL', reimport: true }));
      expect(decision.events.map((e) => e.initiatedBy)).toEqual(['service', undefined]);
    });
  });
});
