import { IssueImportParametersCommand } from '../commands';
import { KmsError } from '../errors';
import { KeyEvent, KeyEventTypes } from '../events';
import { KmsErrors } from '../errors';
import {
  isImplementedWrappingAlgorithm,
  WRAPPING_ALGORITHMS,
  WRAPPING_KEY_SPECS,
  isImplementedWrappingKeySpec,
  keyFamily,
  KeySpec,
  WRAPPING_ALGORITHMS_BY_FAMILY,
  WrappingAlgorithm,
  WrappingKeySpec,
} from '../key-spec';
import { KeyState } from '../key-state';
import { toIso } from '../time';
import { requireExternalOrigin, requireKeyInState } from './guards';

const unsupported = (message: string) => new KmsError('UnsupportedOperationException', message);

/**
 * The wrapping matrix (kms-api-reference.md §5.1). Disallowed combinations are refused here, when the caller
 * asks for parameters, rather than after they have wrapped their material (AWS's choice is UNCONFIRMED).
 */
export function checkWrappingChoice(keySpec: KeySpec, algorithm: string, wrappingKeySpec: string): {
  algorithm: WrappingAlgorithm;
  wrappingKeySpec: WrappingKeySpec;
} {
  if (!(WRAPPING_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw KmsErrors.validation(`WrappingAlgorithm ${algorithm} is not valid. Valid values: [${WRAPPING_ALGORITHMS.join(', ')}].`);
  }
  if (!(WRAPPING_KEY_SPECS as readonly string[]).includes(wrappingKeySpec)) {
    throw KmsErrors.validation(`WrappingKeySpec ${wrappingKeySpec} is not valid. Valid values: [${WRAPPING_KEY_SPECS.join(', ')}].`);
  }
  if (algorithm === 'RSAES_PKCS1_V1_5') {
    throw unsupported('The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported. Use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256.');
  }
  if (!isImplementedWrappingAlgorithm(algorithm)) {
    throw unsupported(`The ${algorithm} wrapping algorithm is available only in China Regions and is not supported by this service.`);
  }
  if (!isImplementedWrappingKeySpec(wrappingKeySpec)) {
    throw unsupported(`The ${wrappingKeySpec} wrapping key spec is available only in China Regions and is not supported by this service.`);
  }
  const allowed = WRAPPING_ALGORITHMS_BY_FAMILY[keyFamily(keySpec)];
  if (!allowed.includes(algorithm)) {
    throw unsupported(
      `The ${algorithm} wrapping algorithm is not supported for ${keySpec} key material. Supported wrapping algorithms: ${allowed.join(', ')}.`,
    );
  }
  // A P-521 PKCS#8 (about 241 bytes) does not fit one RSA_2048 OAEP block.
  if (keySpec === 'ECC_NIST_P521' && wrappingKeySpec === 'RSA_2048' && algorithm.startsWith('RSAES_OAEP')) {
    throw unsupported(
      `The ${algorithm} wrapping algorithm with an RSA_2048 wrapping key is not supported for ECC_NIST_P521 key material. Use RSA_AES_KEY_WRAP_SHA_256 or a larger wrapping key.`,
    );
  }
  return { algorithm, wrappingKeySpec };
}

export function decideIssueImportParameters(command: IssueImportParametersCommand, state: KeyState, now: number): KeyEvent[] {
  const key = requireKeyInState(state, command.keyArn, 'GetParametersForImport', now);
  requireExternalOrigin(key);
  const { algorithm, wrappingKeySpec } = checkWrappingChoice(key.keySpec, command.wrappingAlgorithm, command.wrappingKeySpec);
  return [
    {
      type: KeyEventTypes.ImportParametersIssued,
      data: {
        importTokenId: command.importTokenId,
        wrappingAlgorithm: algorithm,
        wrappingKeySpec,
        parametersValidTo: toIso(command.parametersValidTo),
        publicKeyFingerprint: command.publicKeyFingerprint,
      },
    },
  ];
}

