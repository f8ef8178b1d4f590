import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { computeKeyMaterialId, DataKeyPairSpec, generateDataKeyPair, generateKeyMaterial } from '@keyledger/crypto';
import { KEY_SPECS, keyFamily, KeyMetadata, KeySpec, Tag, toKeyMetadata } from '@keyledger/domain';
import { KeyCommandExecutor } from '../key-command-executor';
import { CLOCK, Clock, ID_GENERATOR, IdGenerator, MATERIAL_VAULT, MaterialVault } from '../ports';
import { RequestContext } from '../request-context';

export interface CreateKeyInput {
  description?: string;
  keySpec?: string;
  keyUsage?: string;
  origin?: string;
  multiRegion?: boolean;
  tags?: Tag[];
  policy?: string;
}

/** The new key's metadata and its stream revision (the REST ETag). */
export interface CreatedKey {
  keyMetadata: KeyMetadata;
  revision: number;
}

export class CreateKey {
  constructor(
    readonly ctx: RequestContext,
    readonly input: CreateKeyInput,
  ) {}
}

@CommandHandler(CreateKey)
export class CreateKeyHandler implements ICommandHandler<CreateKey, CreatedKey> {
  constructor(
    private readonly executor: KeyCommandExecutor,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    @Inject(MATERIAL_VAULT) private readonly vault: MaterialVault,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ ctx, input }: CreateKey): Promise<CreatedKey> {
    const keyId = this.ids.keyId();
    const keySpec = input.keySpec ?? 'SYMMETRIC_DEFAULT';
    const origin = input.origin ?? 'AWS_KMS';
    // AWS_KMS keys get material generated here, at the edge, so the decider stays deterministic.
    const material = origin === 'AWS_KMS' && (KEY_SPECS as readonly string[]).includes(keySpec) ? await generateMaterial(keySpec as KeySpec) : undefined;
    const generatedKeyMaterialId = material ? computeKeyMaterialId(keyId, material) : undefined;
    try {
      const { state, revision } = await this.executor.execute(
        keyId,
        {
          kind: 'CreateKey',
          keyId,
          accountId: ctx.accountId,
          region: ctx.region,
          description: input.description ?? '',
          keySpec,
          keyUsage: input.keyUsage,
          origin,
          multiRegion: input.multiRegion ?? false,
          generatedKeyMaterialId,
          // The vault seals the generated material under this id (see ImportKeyMaterialHandler).
          sealedUnderMasterKeyId: material ? this.vault.masterKeyId : undefined,
          tags: input.tags,
          policy: input.policy,
        },
        ctx,
        { beforeAppend: async (_d, firstRevision) => material && this.vault.put(keyId, generatedKeyMaterialId!, material, firstRevision) },
      );
      return { keyMetadata: toKeyMetadata(state, this.clock.now()), revision };
    } finally {
      material?.fill(0);
    }
  }
}

/** RSA and ECC material is a private key, generated off the event loop (RSA_4096 takes seconds). */
async function generateMaterial(keySpec: KeySpec): Promise<Buffer> {
  const family = keyFamily(keySpec);
  if (family === 'RSA' || family === 'ECC') return (await generateDataKeyPair(keySpec as DataKeyPairSpec)).privateKeyDer;
  return generateKeyMaterial(keySpec);
}
