import { oaepCapacity } from '@keyledger/crypto';
import {
  isImplementedWrappingKeySpec,
  keyFamily,
  WRAPPING_ALGORITHMS_BY_FAMILY,
  type KeySpec,
  type WrappingAlgorithm,
  type WrappingKeySpec,
} from '@keyledger/domain';
import { CliError } from '../cli-error';

export interface WrappingChoice {
  algorithm: WrappingAlgorithm;
  wrappingKeySpec: WrappingKeySpec;
}

const PREFERRED_OAEP = 'RSAES_OAEP_SHA_256';
const PREFERRED_KEY_WRAP = 'RSA_AES_KEY_WRAP_SHA_256';

/**
 * What seed asks GetParametersForImport for: the seed file's choice if the key spec allows it; else
 * RSAES_OAEP_SHA_256 when the spec allows it and the material fits in one OAEP block, else
 * RSA_AES_KEY_WRAP_SHA_256 (RSA keys, large EC keys). The wrapping key is RSA_2048 unless the file says
 * otherwise: the quickest for the service to generate.
 */
export function chooseWrapping(keySpec: KeySpec, materialBytes: number, choice: { algorithm?: string; wrappingKeySpec?: string } = {}): WrappingChoice {
  const allowed = WRAPPING_ALGORITHMS_BY_FAMILY[keyFamily(keySpec)];
  const wrappingKeySpec = choice.wrappingKeySpec ?? 'RSA_2048';
  if (!isImplementedWrappingKeySpec(wrappingKeySpec)) {
    throw new CliError(`wrappingKeySpec must be RSA_2048, RSA_3072 or RSA_4096, not '${wrappingKeySpec}'.`);
  }
  if (choice.algorithm !== undefined) {
    const algorithm = allowed.find((name) => name === choice.algorithm);
    if (!algorithm) throw new CliError(`wrappingAlgorithm ${choice.algorithm} is not allowed for ${keySpec} material (allowed: ${allowed.join(', ')}).`);
    return { algorithm, wrappingKeySpec };
  }
  if (allowed.includes(PREFERRED_OAEP) && materialBytes <= oaepCapacity(wrappingKeySpec, PREFERRED_OAEP)) {
    return { algorithm: PREFERRED_OAEP, wrappingKeySpec };
  }
  return { algorithm: PREFERRED_KEY_WRAP, wrappingKeySpec };
}
