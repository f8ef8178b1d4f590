import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { decryptWithKeyMaterial, encryptWithKeyMaterial, readCiphertextHeader } from '@keyledger/crypto';
import { keyArn, KeyAttributes, KmsError, MaterialRecord, requireUsableKey, RequestScope } from '@keyledger/domain';
import { KeyCommandExecutor } from '../key-command-executor';
import { keyIdOrThrow } from '../key-resolution';
import { CLOCK, Clock, MATERIAL_VAULT, MaterialVault } from '../ports';

export class Encrypt {
  constructor(
    readonly scope: RequestScope,
    readonly input: { keyId: string; plaintext: Buffer; encryptionContext: Record<string, string>; encryptionAlgorithm?: string },
  ) {}
}

export class Decrypt {
  constructor(
    readonly scope: RequestScope,
    readonly input: { ciphertext: Buffer; keyId?: string; encryptionContext: Record<string, string>; encryptionAlgorithm?: string },
  ) {}
}

const invalidCiphertext = () => new KmsError('InvalidCiphertextException', '');

function requireSymmetricAlgorithm(key: KeyAttributes, algorithm: string | undefined): void {
  if (algorithm !== undefined && algorithm !== 'SYMMETRIC_DEFAULT') {
    throw new KmsError('InvalidKeyUsageException', `${key.arn} key spec is ${key.keySpec} which does not support the ${algorithm} encryption algorithm.`);
  }
  if (key.keySpec !== 'SYMMETRIC_DEFAULT') {
    throw new KmsError('UnsupportedOperationException', `Encrypt and Decrypt with ${key.keySpec} keys are not supported by this service yet.`);
  }
}

/**
 * Encrypt and Decrypt read the key's own stream, not the projection: using material must reflect the latest
 * deletion or expiry, never a lagging read model.
 */
abstract class MaterialUser {
  constructor(
    protected readonly executor: KeyCommandExecutor,
    protected readonly vault: MaterialVault,
    protected readonly clock: Clock,
  ) {}

  protected async usableMaterial(scope: RequestScope, keyId: string, operation: string, keyMaterialId?: string) {
    const { state } = await this.executor.load(keyId);
    const usable = requireUsableKey(state, { keyArn: keyArn(scope, keyId), operation, usage: 'ENCRYPT_DECRYPT', keyMaterialId }, this.clock.now());
    return { ...usable, bytes: await this.materialBytes(usable.key, usable.material) };
  }

  private async materialBytes(key: KeyAttributes, material: MaterialRecord): Promise<Buffer> {
    const bytes = await this.vault.get(key.keyId, material.keyMaterialId);
    if (!bytes) throw new KmsError('KMSInternalException', `Key material of ${key.arn} is not available.`);
    return bytes;
  }
}

@QueryHandler(Encrypt)
export class EncryptHandler extends MaterialUser implements IQueryHandler<Encrypt> {
  constructor(executor: KeyCommandExecutor, @Inject(MATERIAL_VAULT) vault: MaterialVault, @Inject(CLOCK) clock: Clock) {
    super(executor, vault, clock);
  }

  async execute({ scope, input }: Encrypt) {
    const keyId = keyIdOrThrow(input.keyId, scope, { allowAlias: true });
    const { key, material, bytes } = await this.usableMaterial(scope, keyId, 'Encrypt');
    requireSymmetricAlgorithm(key, input.encryptionAlgorithm);
    try {
      const ciphertext = encryptWithKeyMaterial({
        keyId,
        keyMaterialId: material.keyMaterialId,
        material: bytes,
        plaintext: input.plaintext,
        encryptionContext: input.encryptionContext,
      });
      return { ciphertext, keyArn: key.arn, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    } finally {
      bytes.fill(0);
    }
  }
}

@QueryHandler(Decrypt)
export class DecryptHandler extends MaterialUser implements IQueryHandler<Decrypt> {
  constructor(executor: KeyCommandExecutor, @Inject(MATERIAL_VAULT) vault: MaterialVault, @Inject(CLOCK) clock: Clock) {
    super(executor, vault, clock);
  }

  async execute({ scope, input }: Decrypt) {
    const header = readCiphertextHeader(input.ciphertext);
    if (!header) throw invalidCiphertext();
    if (input.keyId !== undefined && keyIdOrThrow(input.keyId, scope, { allowAlias: true }) !== header.keyId) {
      throw new KmsError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');
    }
    const { key, material, bytes } = await this.usableMaterial(scope, header.keyId, 'Decrypt', header.keyMaterialId);
    requireSymmetricAlgorithm(key, input.encryptionAlgorithm);
    try {
      const plaintext = decryptWithKeyMaterial({ ciphertext: input.ciphertext, material: bytes, encryptionContext: input.encryptionContext });
      if (!plaintext) throw invalidCiphertext();
      return { plaintext, keyArn: key.arn, encryptionAlgorithm: 'SYMMETRIC_DEFAULT', keyMaterialId: material.keyMaterialId };
    } finally {
      bytes.fill(0);
    }
  }
}
