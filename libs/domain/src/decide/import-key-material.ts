import { ImportKeyMaterialCommand } from '../commands';
import { constantTimeEquals } from '../constant-time';
import { KmsError, KmsErrors } from '../errors';
import { KeyEvent, KeyEventTypes, KeyMaterialImportedData, MaterialState } from '../events';
import { ExpirationModel, ImportType, keyFamily, WrappingAlgorithm, WrappingKeySpec } from '../key-spec';
import { KeyAttributes, KeyState, MaterialRecord } from '../key-state';
import { DAY_MS, EpochMillis, toIso } from '../time';
import { requireExternalOrigin, requireKeyInState } from './guards';

/** AWS allows ValidTo at most 365 days after the import request. */
export const MAX_VALID_TO_MS = 365 * DAY_MS;

const incorrectMaterial = (message: string) => new KmsError('IncorrectKeyMaterialException', message);

/** ExpirationModel/ValidTo rules (§7 rules 1-2); these are request validation, checked before anything else. */
function checkExpiration(command: ImportKeyMaterialCommand, now: EpochMillis): ExpirationModel {
  const model = command.expirationModel ?? 'KEY_MATERIAL_EXPIRES';
  if (model === 'KEY_MATERIAL_EXPIRES') {
    if (command.validTo === undefined) {
      throw KmsErrors.validation('A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES');
    }
    if (command.validTo <= now) throw KmsErrors.validation('The validTo date must be in the future.');
    if (command.validTo > now + MAX_VALID_TO_MS) {
      throw KmsErrors.validation('The validTo date must be no more than 365 days in the future.');
    }
  } else if (command.validTo !== undefined) {
    throw KmsErrors.validation('A validTo date cannot be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE');
  }
  return model;
}

const keyMaterialIdWithNewMaterial = () => KmsErrors.validation('KeyMaterialId cannot be specified when ImportType is NEW_KEY_MATERIAL.');

/** Request members that contradict each other on their face are refused before any lookup. */
function checkRequestShape(command: ImportKeyMaterialCommand): void {
  if (command.importType === 'NEW_KEY_MATERIAL' && command.keyMaterialId !== undefined) throw keyMaterialIdWithNewMaterial();
}

/** ImportType, KeyMaterialId and KeyMaterialDescription exist only for symmetric keys (§7 rule 9). */
function checkSymmetricOnlyMembers(key: KeyAttributes, command: ImportKeyMaterialCommand): void {
  if (keyFamily(key.keySpec) === 'SYMMETRIC') return;
  const used = (['importType', 'keyMaterialId', 'keyMaterialDescription'] as const).filter((m) => command[m] !== undefined);
  if (used.length > 0) {
    throw KmsErrors.validation(
      `ImportType, KeyMaterialId and KeyMaterialDescription are supported only for SYMMETRIC_DEFAULT keys; ${key.keySpec} keys have exactly one key material.`,
    );
  }
}

/** Token, then ciphertext, then material checks (§7 rules 5-8). Returns the computed material id. */
function checkTokenAndMaterial(key: KeyAttributes, command: ImportKeyMaterialCommand, now: EpochMillis) {
  const token = command.token;
  if (!token || token.keyArn !== key.arn) {
    throw new KmsError('InvalidImportTokenException', 'The import token is invalid or is associated with a different KMS key.');
  }
  if (now > token.parametersValidTo) {
    throw new KmsError(
      'ExpiredImportTokenException',
      `The import token expired at ${toIso(token.parametersValidTo)}. Call GetParametersForImport for a new import token and public key.`,
    );
  }
  if (command.unwrap.outcome === 'undecryptable') {
    throw new KmsError(
      'InvalidCiphertextException',
      `The encrypted key material could not be decrypted with the wrapping key and the ${token.wrappingAlgorithm} algorithm of this import token.`,
    );
  }
  if (command.unwrap.materialProblem) throw incorrectMaterial(command.unwrap.materialProblem);
  return { token, keyMaterialId: command.unwrap.keyMaterialId };
}

const findMaterial = (materials: MaterialRecord[], keyMaterialId: string): MaterialRecord | undefined =>
  materials.find((m) => constantTimeEquals(m.keyMaterialId, keyMaterialId));

/**
 * The same-material rule (§7 rule 8-10): decides whether this material is a first import, a re-import of
 * material already associated with the key, or new material pending rotation.
 */
function classify(state: KeyState, command: ImportKeyMaterialCommand, keyMaterialId: string): { importType: ImportType; reimport: boolean; materialState: MaterialState } {
  const key = state.key!;
  const known = findMaterial(state.materials, keyMaterialId);
  const neverImported = state.materials.length === 0;
  const importType: ImportType = command.importType ?? (neverImported ? 'NEW_KEY_MATERIAL' : 'EXISTING_KEY_MATERIAL');

  if (command.keyMaterialId !== undefined) {
    // Reached when NEW_KEY_MATERIAL is the default (nothing imported yet) rather than requested.
    if (importType === 'NEW_KEY_MATERIAL') throw keyMaterialIdWithNewMaterial();
    if (!constantTimeEquals(command.keyMaterialId, keyMaterialId)) {
      throw incorrectMaterial(`The key material does not match KeyMaterialId ${command.keyMaterialId}.`);
    }
  }

  if (importType === 'EXISTING_KEY_MATERIAL') {
    if (!known) {
      throw incorrectMaterial(
        neverImported
          ? `No key material has been imported into ${key.arn} yet; import it with ImportType NEW_KEY_MATERIAL.`
          : `The key material is not the key material previously imported into ${key.arn}. Reimport the same key material.`,
      );
    }
    return { importType, reimport: true, materialState: known.materialState };
  }

  if (known) {
    throw incorrectMaterial(`This key material was already imported into ${key.arn}; reimport it with ImportType EXISTING_KEY_MATERIAL.`);
  }
  if (neverImported) return { importType, reimport: false, materialState: 'CURRENT' };
  const pending = state.materials.find((m) => m.materialState === 'PENDING_ROTATION');
  if (pending) {
    throw new KmsError(
      'KMSInvalidStateException',
      `New key material (id: ${keyMaterialId}) cannot be imported into KMS key ${key.arn}, because another key material (id: ${pending.keyMaterialId}) is pending rotation.`,
    );
  }
  return { importType, reimport: false, materialState: 'PENDING_ROTATION' };
}

export function decideImportKeyMaterial(command: ImportKeyMaterialCommand, state: KeyState, now: EpochMillis): KeyEvent[] {
  const expirationModel = checkExpiration(command, now);
  checkRequestShape(command);
  const key = requireKeyInState(state, command.keyArn, 'ImportKeyMaterial', now);
  requireExternalOrigin(key);
  checkSymmetricOnlyMembers(key, command);
  const { token, keyMaterialId } = checkTokenAndMaterial(key, command, now);
  const { importType, reimport, materialState } = classify(state, command, keyMaterialId);

  const data: KeyMaterialImportedData = {
    keyMaterialId,
    importType,
    reimport,
    materialState,
    expirationModel,
    ...(command.validTo !== undefined ? { validTo: toIso(command.validTo) } : {}),
    ...(command.keyMaterialDescription !== undefined ? { keyMaterialDescription: command.keyMaterialDescription } : {}),
    importTokenId: token.importTokenId,
    wrappingAlgorithm: token.wrappingAlgorithm as WrappingAlgorithm,
    wrappingKeySpec: token.wrappingKeySpec as WrappingKeySpec,
    ...(command.sealedUnderMasterKeyId !== undefined ? { sealedUnderMasterKeyId: command.sealedUnderMasterKeyId } : {}),
  };
  return [{ type: KeyEventTypes.KeyMaterialImported, data }];
}
