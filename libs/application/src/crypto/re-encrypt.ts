import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { RequestContext } from '../request-context';
import { decryptWith, encryptUnder, SYMMETRIC_DEFAULT } from './encryption';
import { KeyUse } from './key-use';

export interface ReEncryptInput {
  /** Absent only in a dry run that checks the caller's access without a ciphertext (IGNORE_CIPHERTEXT). */
  ciphertext?: Buffer;
  sourceKeyId?: string;
  sourceEncryptionContext: Record<string, string>;
  sourceEncryptionAlgorithm?: string;
  destinationKeyId: string;
  destinationEncryptionContext: Record<string, string>;
  destinationEncryptionAlgorithm?: string;
  dryRun?: boolean;
}

export interface ReEncrypted {
  ciphertext: Buffer;
  sourceKeyArn: string;
  destinationKeyArn: string;
  sourceEncryptionAlgorithm: string;
  destinationEncryptionAlgorithm: string;
  sourceKeyMaterialId?: string;
  destinationKeyMaterialId?: string;
}

export class ReEncrypt {
  constructor(
    readonly ctx: RequestContext,
    readonly input: ReEncryptInput,
  ) {}
}

/**
 * Decrypts under the source key and encrypts under the destination key without the plaintext leaving the
 * service (it is zeroed after). Both keys are checked before anything is decrypted, and both uses are
 * recorded as ReEncrypt.
 */
@QueryHandler(ReEncrypt)
export class ReEncryptHandler implements IQueryHandler<ReEncrypt, ReEncrypted> {
  constructor(private readonly keys: KeyUse) {}

  async execute({ ctx, input }: ReEncrypt): Promise<ReEncrypted> {
    const destinationKeyId = await this.keys.resolve(input.destinationKeyId, ctx);
    const destinationAlgorithm = input.destinationEncryptionAlgorithm ?? SYMMETRIC_DEFAULT;
    const destination = { keyId: destinationKeyId, operation: 'ReEncrypt' as const, algorithm: destinationAlgorithm, encryptionContext: input.destinationEncryptionContext };
    await this.keys.authorize(ctx, destination);
    const source = await decryptWith(
      this.keys,
      ctx,
      { ciphertext: input.ciphertext, keyId: input.sourceKeyId, encryptionContext: input.sourceEncryptionContext, encryptionAlgorithm: input.sourceEncryptionAlgorithm },
      { operation: 'ReEncrypt', dryRun: input.dryRun },
    );
    try {
      const encrypted = await this.keys.run(ctx, destination, (usable) =>
        encryptUnder(usable, destinationAlgorithm, source.plaintext, input.destinationEncryptionContext),
      );
      return {
        ciphertext: encrypted.ciphertext,
        sourceKeyArn: source.keyArn,
        destinationKeyArn: encrypted.keyArn,
        sourceEncryptionAlgorithm: source.encryptionAlgorithm,
        destinationEncryptionAlgorithm: encrypted.encryptionAlgorithm,
        sourceKeyMaterialId: source.keyMaterialId,
        destinationKeyMaterialId: encrypted.keyMaterialId,
      };
    } finally {
      source.plaintext.fill(0);
    }
  }
}
