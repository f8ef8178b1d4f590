import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import {
  encryptWithKeyMaterial,
  maxRsaPlaintextBytes,
  openCiphertext,
  parseCiphertext,
  rsaDecrypt,
  rsaEncrypt,
  RsaEncryptionAlgorithm,
} from '@keyledger/crypto';
import { isKeyId, isKmsError, keyFamily, KmsError, KmsErrors } from '@keyledger/domain';
import { RequestContext } from '../request-context';
import { KeyUse, UsableKey } from './key-use';

export const SYMMETRIC_DEFAULT = 'SYMMETRIC_DEFAULT';

export interface EncryptInput {
  keyId: string;
  plaintext: Buffer;
  encryptionContext: Record<string, string>;
  encryptionAlgorithm?: string;
  dryRun?: boolean;
}

export interface DecryptInput {
  /** Absent only in a dry run that checks the caller's access to `keyId` without a ciphertext (IGNORE_CIPHERTEXT). */
  ciphertext?: Buffer;
  keyId?: string;
  encryptionContext: Record<string, string>;
  encryptionAlgorithm?: string;
  dryRun?: boolean;
}

export interface EncryptResult {
  ciphertext: Buffer;
  keyArn: string;
  encryptionAlgorithm: string;
  /** Symmetric keys only (AWS returns it from GenerateDataKey*, Decrypt and ReEncrypt, not from Encrypt). */
  keyMaterialId?: string;
}

export interface DecryptResult {
  plaintext: Buffer;
  keyArn: string;
  encryptionAlgorithm: string;
  keyMaterialId?: string;
}

export class Encrypt {
  constructor(
    readonly ctx: RequestContext,
    readonly input: EncryptInput,
  ) {}
}

export class Decrypt {
  constructor(
    readonly ctx: RequestContext,
    readonly input: DecryptInput,
  ) {}
}

/**
 * An encryption context binds symmetric ciphertexts only. AWS's answer for one sent with an asymmetric key is
 * UNCONFIRMED (reference Appendix B #8): ValidationException, rather than silently ignoring it.
 */
function refuseContextForAsymmetric(encryptionContext: Record<string, string>): void {
  if (Object.keys(encryptionContext).length > 0) {
    throw KmsErrors.validation('EncryptionContext is valid only with symmetric encryption KMS keys.');
  }
}

/** Encrypts under the usable key: AES-256-GCM blobs for SYMMETRIC_DEFAULT, RSAES-OAEP for RSA keys. */
export function encryptUnder(usable: UsableKey, algorithm: string, plaintext: Buffer, encryptionContext: Record<string, string>): EncryptResult {
  const { key, material, bytes } = usable;
  if (keyFamily(key.keySpec) === 'SYMMETRIC') {
    const ciphertext = encryptWithKeyMaterial({ keyId: key.keyId, keyMaterialId: material.keyMaterialId, material: bytes, plaintext, encryptionContext });
    return { ciphertext, keyArn: key.arn, encryptionAlgorithm: SYMMETRIC_DEFAULT, keyMaterialId: material.keyMaterialId };
  }
  refuseContextForAsymmetric(encryptionContext);
  const rsaAlgorithm = algorithm as RsaEncryptionAlgorithm;
  const privateKey = usable.privateKey();
  const limit = maxRsaPlaintextBytes(privateKey, rsaAlgorithm);
  if (plaintext.length > limit) {
    throw KmsErrors.validation(`Algorithm ${algorithm} and key spec ${key.keySpec} cannot encrypt data larger than ${limit} bytes.`);
  }
  return { ciphertext: rsaEncrypt({ privateKeyDer: privateKey, algorithm: rsaAlgorithm, plaintext }), keyArn: key.arn, encryptionAlgorithm: algorithm };
}

/**
 * Decrypt and ReEncrypt's source side. A symmetric blob names its key and material in its header, so KeyId is
 * optional (and must be that key if given); RSA ciphertext is raw OAEP output, so the caller must name the key
 * and the algorithm (kms-operations-reference.md §3, §6).
 */
export async function decryptWith(
  keys: KeyUse,
  ctx: RequestContext,
  input: DecryptInput,
  request: { operation?: 'Decrypt' | 'ReEncrypt'; dryRun?: boolean } = {},
): Promise<DecryptResult> {
  const operation = request.operation ?? 'Decrypt';
  const algorithm = input.encryptionAlgorithm ?? SYMMETRIC_DEFAULT;
  if (input.ciphertext === undefined) return dryRunWithoutCiphertext(keys, ctx, input, { operation, algorithm, dryRun: request.dryRun });
  const ciphertext = input.ciphertext;
  const namedKeyId = input.keyId === undefined ? undefined : await keys.resolve(input.keyId, ctx);
  // The named key's state chooses the path, and is then the state the use is decided on (one read of its stream).
  const namedState = namedKeyId === undefined ? undefined : await keys.state(namedKeyId);
  if (namedKeyId !== undefined) {
    const named = namedState!.key;
    if (named && (keyFamily(named.keySpec) === 'RSA' || keyFamily(named.keySpec) === 'ECC')) {
      return keys.run(ctx, { keyId: namedKeyId, operation, algorithm, dryRun: request.dryRun }, ({ key, privateKey }) => {
        refuseContextForAsymmetric(input.encryptionContext);
        const plaintext = rsaDecrypt({ privateKeyDer: privateKey(), algorithm: algorithm as RsaEncryptionAlgorithm, ciphertext });
        if (!plaintext) throw KmsErrors.invalidCiphertext();
        return { plaintext, keyArn: key.arn, encryptionAlgorithm: algorithm };
      }, namedState);
    }
  }
  const blob = parseCiphertext(ciphertext);
  // Refusals before the key's own checks are still uses of the key the caller named, and recorded under it.
  const refuseNamed = (error: KmsError) => keys.refuse(ctx, { keyId: namedKeyId!, operation, algorithm, dryRun: request.dryRun }, error, namedState);
  if (!blob || !isKeyId(blob.keyId)) return namedKeyId === undefined ? Promise.reject(KmsErrors.invalidCiphertext()) : refuseNamed(KmsErrors.invalidCiphertext());
  if (namedKeyId !== undefined && namedKeyId !== blob.keyId) return refuseNamed(KmsErrors.incorrectKey());
  const use = { keyId: blob.keyId, operation, algorithm, keyMaterialId: blob.keyMaterialId, encryptionContext: input.encryptionContext, dryRun: request.dryRun };
  const decrypted = keys.run(ctx, use, ({ key, material, bytes }) => {
    const plaintext = openCiphertext(blob, bytes, input.encryptionContext);
    if (!plaintext) throw KmsErrors.invalidCiphertext();
    return { plaintext, keyArn: key.arn, encryptionAlgorithm: SYMMETRIC_DEFAULT, keyMaterialId: material.keyMaterialId };
  }, namedState);
  if (namedKeyId !== undefined) return decrypted;
  // Without a KeyId the caller learns nothing about keys it cannot see: AWS's access-denied answer (§0.2).
  return decrypted.catch((error: unknown) => {
    throw isKmsError(error) && error.type === 'NotFoundException' ? KmsErrors.ciphertextKeyNotAccessible() : error;
  });
}

/**
 * A dry run with DryRunModifiers IGNORE_CIPHERTEXT: "only authorization validation without ciphertext validation"
 * (MODEL), so the named key is checked as a use would be (access, state, usage, algorithm) and the answer is
 * DryRunOperationException. The request layer requires the key then; a ciphertext, if sent, is not read.
 */
async function dryRunWithoutCiphertext(
  keys: KeyUse,
  ctx: RequestContext,
  input: DecryptInput,
  request: { operation: 'Decrypt' | 'ReEncrypt'; algorithm: string; dryRun?: boolean },
): Promise<DecryptResult> {
  if (!request.dryRun || input.keyId === undefined) throw new TypeError('Only a dry run naming its key may leave out the ciphertext.');
  const keyId = await keys.resolve(input.keyId, ctx);
  // A dry run's authorize answers DryRunOperationException once every check has passed.
  await keys.authorize(ctx, { keyId, operation: request.operation, algorithm: request.algorithm, dryRun: true });
  throw new TypeError('A dry run was authorized without answering DryRunOperationException.');
}

@QueryHandler(Encrypt)
export class EncryptHandler implements IQueryHandler<Encrypt, EncryptResult> {
  constructor(private readonly keys: KeyUse) {}

  async execute({ ctx, input }: Encrypt): Promise<EncryptResult> {
    const keyId = await this.keys.resolve(input.keyId, ctx);
    const algorithm = input.encryptionAlgorithm ?? SYMMETRIC_DEFAULT;
    const request = { keyId, operation: 'Encrypt' as const, algorithm, encryptionContext: input.encryptionContext, dryRun: input.dryRun };
    return this.keys.run(ctx, request, (usable) => encryptUnder(usable, algorithm, input.plaintext, input.encryptionContext));
  }
}

@QueryHandler(Decrypt)
export class DecryptHandler implements IQueryHandler<Decrypt, DecryptResult> {
  constructor(private readonly keys: KeyUse) {}

  execute({ ctx, input }: Decrypt): Promise<DecryptResult> {
    return decryptWith(this.keys, ctx, input, { dryRun: input.dryRun });
  }
}
