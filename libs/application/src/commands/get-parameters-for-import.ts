import { createHash } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { ImportTokenSealer } from '@keyledger/crypto';
import { decide, HOUR_MS, IssueImportParametersCommand, keyArn, WrappingAlgorithm, WrappingKeySpec } from '@keyledger/domain';
import { KeyCommandExecutor } from '../key-command-executor';
import { keyIdOrThrow } from '../key-resolution';
import { CLOCK, Clock, ID_GENERATOR, IdGenerator, IMPORT_TOKEN_SEALER, WRAPPING_KEY_SOURCE, WrappingKeySource } from '../ports';
import { RequestContext } from '../request-context';

/** "Each public key and import token set is valid for 24 hours." */
export const IMPORT_PARAMETERS_VALIDITY_MS = 24 * HOUR_MS;

export class GetParametersForImport {
  constructor(
    readonly ctx: RequestContext,
    readonly input: { keyId: string; wrappingAlgorithm: string; wrappingKeySpec: string },
  ) {}
}

export interface ImportParameters {
  keyArn: string;
  importToken: Buffer;
  publicKey: Buffer;
  parametersValidTo: number;
  /** The key stream's revision after the parameters were recorded. */
  revision: number;
}

@CommandHandler(GetParametersForImport)
export class GetParametersForImportHandler implements ICommandHandler<GetParametersForImport, ImportParameters> {
  constructor(
    private readonly executor: KeyCommandExecutor,
    @Inject(WRAPPING_KEY_SOURCE) private readonly wrappingKeys: WrappingKeySource,
    @Inject(IMPORT_TOKEN_SEALER) private readonly tokens: ImportTokenSealer,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ ctx, input }: GetParametersForImport): Promise<ImportParameters> {
    const keyId = keyIdOrThrow(input.keyId, ctx, { allowAlias: false });
    const arn = keyArn(ctx, keyId);
    const now = this.clock.now();
    const command: IssueImportParametersCommand = {
      kind: 'IssueImportParameters',
      keyArn: arn,
      wrappingAlgorithm: input.wrappingAlgorithm,
      wrappingKeySpec: input.wrappingKeySpec,
      importTokenId: this.ids.uuid(),
      parametersValidTo: now + IMPORT_PARAMETERS_VALIDITY_MS,
      publicKeyFingerprint: '',
    };
    // Refuse bad requests before spending an RSA key pair on them (decide is pure, so a dry run is free).
    decide(command, (await this.executor.load(keyId)).state, now);

    const pair = await this.wrappingKeys.take(input.wrappingKeySpec as WrappingKeySpec);
    const publicKeyFingerprint = createHash('sha256').update(pair.publicKeyDer).digest('hex');
    // ImportParametersIssued changes no key, alias or listing a read model serves (only the audit trail, which may
    // lag like every query), so the answer does not wait for the read models.
    const { revision } = await this.executor.execute(keyId, { ...command, publicKeyFingerprint }, ctx, { readYourWrites: false });
    const importToken = this.tokens.seal(
      {
        tokenId: command.importTokenId,
        keyArn: arn,
        wrappingAlgorithm: input.wrappingAlgorithm as WrappingAlgorithm,
        wrappingKeySpec: input.wrappingKeySpec as WrappingKeySpec,
        parametersValidTo: command.parametersValidTo,
      },
      pair.privateKeyDer,
    );
    pair.privateKeyDer.fill(0);
    return { keyArn: arn, importToken, publicKey: pair.publicKeyDer, parametersValidTo: command.parametersValidTo, revision };
  }
}
