import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { deriveSharedSecret, publicKeyDerFromPrivate } from '@keyledger/crypto';
import { algorithmsFor, KeyAlgorithms, KmsError, KmsErrors, SupportedOrigin } from '@keyledger/domain';
import { RequestContext } from '../request-context';
import { KeyUse } from './key-use';

export class GetPublicKey {
  constructor(
    readonly ctx: RequestContext,
    readonly keyId: string,
  ) {}
}

export interface PublicKeyResult extends KeyAlgorithms {
  keyArn: string;
  /** DER SubjectPublicKeyInfo (RFC 5280) of the key's private key. */
  publicKey: Buffer;
  keySpec: string;
  keyUsage: string;
}

/** The public half of an RSA or ECC key, derived from its (imported or generated) private key. */
@QueryHandler(GetPublicKey)
export class GetPublicKeyHandler implements IQueryHandler<GetPublicKey, PublicKeyResult> {
  constructor(private readonly keys: KeyUse) {}

  async execute({ ctx, keyId: input }: GetPublicKey): Promise<PublicKeyResult> {
    const keyId = await this.keys.resolve(input, ctx);
    return this.keys.run(ctx, { keyId, operation: 'GetPublicKey', recordUse: false }, ({ key, privateKey }) => ({
      keyArn: key.arn,
      publicKey: publicKeyDerFromPrivate(privateKey()),
      keySpec: key.keySpec,
      keyUsage: key.keyUsage,
      ...algorithmsFor(key.keySpec, key.keyUsage),
    }));
  }
}

export class DeriveSharedSecret {
  constructor(
    readonly ctx: RequestContext,
    readonly input: { keyId: string; keyAgreementAlgorithm: string; publicKey: Buffer; dryRun?: boolean },
  ) {}
}

export interface SharedSecretResult {
  keyArn: string;
  sharedSecret: Buffer;
  keyAgreementAlgorithm: string;
  keyOrigin: SupportedOrigin;
}

/**
 * ECDH between the key's private key and the peer's public key. AWS answers an unparsable public key with a
 * message-less ValidationException (reference §16); a key on another curve gets a message saying so (our
 * choice: AWS's text is unknown).
 */
@QueryHandler(DeriveSharedSecret)
export class DeriveSharedSecretHandler implements IQueryHandler<DeriveSharedSecret, SharedSecretResult> {
  constructor(private readonly keys: KeyUse) {}

  async execute({ ctx, input }: DeriveSharedSecret): Promise<SharedSecretResult> {
    const keyId = await this.keys.resolve(input.keyId, ctx);
    const request = { keyId, operation: 'DeriveSharedSecret' as const, algorithm: input.keyAgreementAlgorithm, dryRun: input.dryRun };
    return this.keys.run(ctx, request, ({ key, privateKey }) => {
      const derived = deriveSharedSecret({ privateKeyDer: privateKey(), peerPublicKeyDer: input.publicKey });
      if ('problem' in derived) {
        throw derived.problem === 'wrong-curve'
          ? KmsErrors.validation(`The public key is not on the curve of key spec ${key.keySpec}.`)
          : new KmsError('ValidationException', '');
      }
      return { keyArn: key.arn, sharedSecret: derived.secret, keyAgreementAlgorithm: input.keyAgreementAlgorithm, keyOrigin: key.origin };
    });
  }
}
