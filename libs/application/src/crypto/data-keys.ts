import { randomBytes } from 'node:crypto';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DataKeyPairSpec, encryptWithKeyMaterial, generateDataKeyPair } from '@keyledger/crypto';
import { KmsError, KmsErrors } from '@keyledger/domain';
import { RequestContext } from '../request-context';
import { KeyUse } from './key-use';

const DATA_KEY_BYTES = { AES_128: 16, AES_256: 32 } as const;
export const DATA_KEY_SPECS = Object.keys(DATA_KEY_BYTES) as Array<keyof typeof DATA_KEY_BYTES>;
export const KEY_PAIR_SPECS = [
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'SM2',
  'ECC_NIST_EDWARDS25519',
] as const;
/** Pair specs this service generates; SM2 exists only in China Regions. */
const GENERATED_PAIR_SPECS: readonly string[] = KEY_PAIR_SPECS.filter((s) => s !== 'SM2');

export interface GenerateDataKeyInput {
  keyId: string;
  keySpec?: string;
  numberOfBytes?: number;
  encryptionContext: Record<string, string>;
  /** GenerateDataKeyWithoutPlaintext: the plaintext data key is not returned. */
  withoutPlaintext: boolean;
  dryRun?: boolean;
}

export interface GeneratedDataKey {
  ciphertext: Buffer;
  plaintext?: Buffer;
  keyArn: string;
  keyMaterialId: string;
}

export class GenerateDataKey {
  constructor(
    readonly ctx: RequestContext,
    readonly input: GenerateDataKeyInput,
  ) {}
}

/**
 * A fresh random data key, returned in the clear and encrypted under the symmetric key: envelope encryption.
 * AWS's text for "both or neither of KeySpec and NumberOfBytes" is UNCONFIRMED; the recommended one is used
 * (reference Appendix B #11).
 */
@QueryHandler(GenerateDataKey)
export class GenerateDataKeyHandler implements IQueryHandler<GenerateDataKey, GeneratedDataKey> {
  constructor(private readonly keys: KeyUse) {}

  async execute({ ctx, input }: GenerateDataKey): Promise<GeneratedDataKey> {
    const eitherOr = (input.keySpec === undefined) === (input.numberOfBytes === undefined) ? KmsErrors.validation('Please specify either number of bytes or key spec.') : undefined;
    // Refused before the key is looked up if the KeyId names none; otherwise recorded as a refused use of the key.
    const keyId = await this.keys.resolve(input.keyId, ctx).catch((error: unknown) => Promise.reject(eitherOr ?? error));
    const operation = input.withoutPlaintext ? 'GenerateDataKeyWithoutPlaintext' : 'GenerateDataKey';
    const request = { keyId, operation, encryptionContext: input.encryptionContext, dryRun: input.dryRun } as const;
    if (eitherOr) return this.keys.refuse(ctx, request, eitherOr);
    const length = input.numberOfBytes ?? DATA_KEY_BYTES[input.keySpec as keyof typeof DATA_KEY_BYTES];
    return this.keys.run(ctx, request, ({ key, material, bytes }) => {
      const plaintext = randomBytes(length);
      const ciphertext = encryptWithKeyMaterial({ keyId, keyMaterialId: material.keyMaterialId, material: bytes, plaintext, encryptionContext: input.encryptionContext });
      if (input.withoutPlaintext) plaintext.fill(0);
      return { ciphertext, plaintext: input.withoutPlaintext ? undefined : plaintext, keyArn: key.arn, keyMaterialId: material.keyMaterialId };
    });
  }
}

export interface GenerateDataKeyPairInput {
  keyId: string;
  keyPairSpec: string;
  encryptionContext: Record<string, string>;
  withoutPlaintext: boolean;
  dryRun?: boolean;
}

export interface GeneratedDataKeyPair {
  privateKeyCiphertext: Buffer;
  privateKeyPlaintext?: Buffer;
  publicKey: Buffer;
  keyArn: string;
  keyPairSpec: string;
  keyMaterialId: string;
}

export class GenerateDataKeyPair {
  constructor(
    readonly ctx: RequestContext,
    readonly input: GenerateDataKeyPairInput,
  ) {}
}

/**
 * A fresh asymmetric key pair whose PKCS#8 private key comes back encrypted under the symmetric key (it decrypts
 * with Decrypt). The key usage limits of KMS keys do not apply to data key pairs. AWS's text for SM2 outside
 * China is UNCONFIRMED (Appendix B #13): UnsupportedOperationException with no message.
 */
@QueryHandler(GenerateDataKeyPair)
export class GenerateDataKeyPairHandler implements IQueryHandler<GenerateDataKeyPair, GeneratedDataKeyPair> {
  constructor(private readonly keys: KeyUse) {}

  async execute({ ctx, input }: GenerateDataKeyPair): Promise<GeneratedDataKeyPair> {
    const keyId = await this.keys.resolve(input.keyId, ctx);
    const operation = input.withoutPlaintext ? 'GenerateDataKeyPairWithoutPlaintext' : 'GenerateDataKeyPair';
    const request = { keyId, operation, encryptionContext: input.encryptionContext } as const;
    // Authorise before generating: an RSA_4096 pair takes seconds, which a refused caller should not cost.
    await this.keys.authorize(ctx, { ...request, dryRun: input.dryRun });
    if (!GENERATED_PAIR_SPECS.includes(input.keyPairSpec)) return this.keys.refuse(ctx, request, new KmsError('UnsupportedOperationException', ''));
    const pair = await generateDataKeyPair(input.keyPairSpec as DataKeyPairSpec);
    try {
      return await this.keys.run(ctx, request, ({ key, material, bytes }) => ({
        privateKeyCiphertext: encryptWithKeyMaterial({
          keyId,
          keyMaterialId: material.keyMaterialId,
          material: bytes,
          plaintext: pair.privateKeyDer,
          encryptionContext: input.encryptionContext,
        }),
        privateKeyPlaintext: input.withoutPlaintext ? undefined : Buffer.from(pair.privateKeyDer),
        publicKey: pair.publicKeyDer,
        keyArn: key.arn,
        keyPairSpec: input.keyPairSpec,
        keyMaterialId: material.keyMaterialId,
      }));
    } finally {
      pair.privateKeyDer.fill(0);
    }
  }
}

export class GenerateRandom {
  constructor(readonly numberOfBytes: number) {}
}

/** Random bytes from the operating system's CSPRNG (node:crypto), independent of any key. */
@QueryHandler(GenerateRandom)
export class GenerateRandomHandler implements IQueryHandler<GenerateRandom, Buffer> {
  async execute({ numberOfBytes }: GenerateRandom): Promise<Buffer> {
    return randomBytes(numberOfBytes);
  }
}
