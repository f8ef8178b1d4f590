import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { digestLength, MessageType, signMessage, SigningAlgorithm, verifySignature } from '@keyledger/crypto';
import { KmsErrors } from '@keyledger/domain';
import { RequestContext } from '../request-context';
import { KeyUse } from './key-use';

export interface SignInput {
  keyId: string;
  message: Buffer;
  /** RAW (default), DIGEST or EXTERNAL_MU. */
  messageType?: string;
  signingAlgorithm: string;
  dryRun?: boolean;
}

export interface VerifyInput extends SignInput {
  signature: Buffer;
}

export class Sign {
  constructor(
    readonly ctx: RequestContext,
    readonly input: SignInput,
  ) {}
}

export class Verify {
  constructor(
    readonly ctx: RequestContext,
    readonly input: VerifyInput,
  ) {}
}

export interface SignResult {
  keyArn: string;
  signature: Buffer;
  signingAlgorithm: string;
}

export interface VerifyResult {
  keyArn: string;
  signingAlgorithm: string;
}

/**
 * MessageType rules, checked after the key and algorithm (reference §1.3): a DIGEST must be exactly the
 * algorithm's hash length; EXTERNAL_MU exists only for ML-DSA, which this service does not offer, so it is a
 * ValidationException (Appendix B #2).
 */
function messageType(input: SignInput): MessageType {
  const type = input.messageType ?? 'RAW';
  if (type === 'EXTERNAL_MU') throw KmsErrors.validation(`MessageType EXTERNAL_MU is not valid for algorithm ${input.signingAlgorithm}.`);
  const algorithm = input.signingAlgorithm as SigningAlgorithm;
  if (type === 'DIGEST' && input.message.length !== digestLength(algorithm)) {
    throw KmsErrors.validation(`Digest is invalid length for algorithm ${input.signingAlgorithm}.`);
  }
  return type as MessageType;
}

/** Signs with the key's private key: PKCS#1 raw signatures for RSA, DER (r, s) for ECDSA. */
@QueryHandler(Sign)
export class SignHandler implements IQueryHandler<Sign, SignResult> {
  constructor(private readonly keys: KeyUse) {}

  async execute({ ctx, input }: Sign): Promise<SignResult> {
    const keyId = await this.keys.resolve(input.keyId, ctx);
    const request = { keyId, operation: 'Sign' as const, algorithm: input.signingAlgorithm, dryRun: input.dryRun };
    return this.keys.run(ctx, request, ({ key, privateKey }) => {
      const type = messageType(input);
      const signature = signMessage({ privateKeyDer: privateKey(), algorithm: input.signingAlgorithm as SigningAlgorithm, message: input.message, messageType: type });
      return { keyArn: key.arn, signature, signingAlgorithm: input.signingAlgorithm };
    });
  }
}

/** A signature that does not verify is an error (KMSInvalidSignatureException), never SignatureValid: false. */
@QueryHandler(Verify)
export class VerifyHandler implements IQueryHandler<Verify, VerifyResult> {
  constructor(private readonly keys: KeyUse) {}

  async execute({ ctx, input }: Verify): Promise<VerifyResult> {
    const keyId = await this.keys.resolve(input.keyId, ctx);
    const request = { keyId, operation: 'Verify' as const, algorithm: input.signingAlgorithm, dryRun: input.dryRun };
    return this.keys.run(ctx, request, ({ key, privateKey }) => {
      const type = messageType(input);
      const valid = verifySignature({
        privateKeyDer: privateKey(),
        algorithm: input.signingAlgorithm as SigningAlgorithm,
        message: input.message,
        messageType: type,
        signature: input.signature,
      });
      if (!valid) throw KmsErrors.invalidSignature();
      return { keyArn: key.arn, signingAlgorithm: input.signingAlgorithm };
    });
  }
}
