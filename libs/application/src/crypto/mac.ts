import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { generateMac, MacAlgorithm, verifyMac } from '@keyledger/crypto';
import { KmsErrors } from '@keyledger/domain';
import { RequestContext } from '../request-context';
import { KeyUse } from './key-use';

export interface MacInput {
  keyId: string;
  message: Buffer;
  macAlgorithm: string;
  dryRun?: boolean;
}

export class GenerateMac {
  constructor(
    readonly ctx: RequestContext,
    readonly input: MacInput,
  ) {}
}

export class VerifyMac {
  constructor(
    readonly ctx: RequestContext,
    readonly input: MacInput & { mac: Buffer },
  ) {}
}

export interface MacResult {
  keyArn: string;
  mac: Buffer;
  macAlgorithm: string;
}

/**
 * HMAC keys accept every key id form, aliases included: the model is silent and accepting them is the
 * reference's recommendation (Appendix B #17).
 */
@QueryHandler(GenerateMac)
export class GenerateMacHandler implements IQueryHandler<GenerateMac, MacResult> {
  constructor(private readonly keys: KeyUse) {}

  async execute({ ctx, input }: GenerateMac): Promise<MacResult> {
    const keyId = await this.keys.resolve(input.keyId, ctx);
    const request = { keyId, operation: 'GenerateMac' as const, algorithm: input.macAlgorithm, dryRun: input.dryRun };
    return this.keys.run(ctx, request, ({ key, bytes }) => ({
      keyArn: key.arn,
      mac: generateMac({ material: bytes, algorithm: input.macAlgorithm as MacAlgorithm, message: input.message }),
      macAlgorithm: input.macAlgorithm,
    }));
  }
}

/** A MAC that does not match is an error (KMSInvalidMacException), compared in constant time. */
@QueryHandler(VerifyMac)
export class VerifyMacHandler implements IQueryHandler<VerifyMac, Omit<MacResult, 'mac'>> {
  constructor(private readonly keys: KeyUse) {}

  async execute({ ctx, input }: VerifyMac): Promise<Omit<MacResult, 'mac'>> {
    const keyId = await this.keys.resolve(input.keyId, ctx);
    const request = { keyId, operation: 'VerifyMac' as const, algorithm: input.macAlgorithm, dryRun: input.dryRun };
    return this.keys.run(ctx, request, ({ key, bytes }) => {
      if (!verifyMac({ material: bytes, algorithm: input.macAlgorithm as MacAlgorithm, message: input.message, mac: input.mac })) {
        throw KmsErrors.invalidMac();
      }
      return { keyArn: key.arn, macAlgorithm: input.macAlgorithm };
    });
  }
}
