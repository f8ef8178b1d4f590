import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { computeKeyMaterialId, generateKeyMaterial } from '@keyledger/crypto';
import { Decision, keyArn, KeyEventTypes, keyFamily, KeyState, RotateKeyCommand } from '@keyledger/domain';
import { ExecutionHooks, KeyCommandExecutor } from '../key-command-executor';
import { keyIdOrThrow } from '../key-resolution';
import { MATERIAL_VAULT, MaterialVault } from '../ports';
import { RequestContext, serviceContext } from '../request-context';
import { KeyChangeResult } from './key-change';

export class RotateKeyOnDemand {
  constructor(
    readonly ctx: RequestContext,
    readonly input: { keyId: string },
  ) {}
}

/** Issued by the maintenance job for a key whose automatic rotation is due. */
export class RotateKeyAutomatically {
  constructor(
    readonly keyId: string,
    readonly requestId: string,
  ) {}
}

/**
 * New material for an AWS_KMS symmetric key, generated at the edge (the decider stays deterministic) and put in
 * the vault before the event that makes it current. Other keys need none (EXTERNAL keys rotate to material
 * imported as pending rotation).
 */
class GeneratedRotationMaterial {
  readonly material?: Buffer;
  readonly keyMaterialId?: string;

  constructor(keyId: string, state: KeyState) {
    if (state.key?.origin !== 'AWS_KMS' || keyFamily(state.key.keySpec) !== 'SYMMETRIC') return;
    this.material = generateKeyMaterial('SYMMETRIC_DEFAULT');
    this.keyMaterialId = computeKeyMaterialId(keyId, this.material);
  }

  hooks(vault: MaterialVault, keyId: string): ExecutionHooks {
    return {
      beforeAppend: async (decision: Decision, firstRevision: number) => {
        const index = decision.events.findIndex((e) => e.type === KeyEventTypes.KeyMaterialRotated);
        if (this.material && index >= 0) await vault.put(keyId, this.keyMaterialId!, this.material, firstRevision + index);
      },
    };
  }

  destroy(): void {
    this.material?.fill(0);
  }
}

/** Runs a rotation command with material generated for it when the key needs some (AWS_KMS symmetric keys). */
async function rotate(
  executor: KeyCommandExecutor,
  vault: MaterialVault,
  ctx: RequestContext,
  key: { keyId: string; keyArn: string; state: KeyState },
  kind: RotateKeyCommand['kind'],
): Promise<KeyChangeResult> {
  const generated = new GeneratedRotationMaterial(key.keyId, key.state);
  try {
    // The vault seals the generated material under this id (see ImportKeyMaterialHandler).
    const sealedUnderMasterKeyId = generated.material ? vault.masterKeyId : undefined;
    const command: RotateKeyCommand = { kind, keyArn: key.keyArn, generatedKeyMaterialId: generated.keyMaterialId, sealedUnderMasterKeyId };
    const result = await executor.execute(key.keyId, command, ctx, generated.hooks(vault, key.keyId));
    return { keyId: key.keyId, keyArn: key.keyArn, revision: result.revision, state: result.state, decision: result.decision };
  } finally {
    generated.destroy();
  }
}

@CommandHandler(RotateKeyOnDemand)
export class RotateKeyOnDemandHandler implements ICommandHandler<RotateKeyOnDemand, KeyChangeResult> {
  constructor(
    private readonly executor: KeyCommandExecutor,
    @Inject(MATERIAL_VAULT) private readonly vault: MaterialVault,
  ) {}

  async execute({ ctx, input }: RotateKeyOnDemand): Promise<KeyChangeResult> {
    const keyId = keyIdOrThrow(input.keyId, ctx, { allowAlias: false });
    const { state } = await this.executor.load(keyId);
    return rotate(this.executor, this.vault, ctx, { keyId, keyArn: keyArn(ctx, keyId), state }, 'RotateKeyOnDemand');
  }
}

@CommandHandler(RotateKeyAutomatically)
export class RotateKeyAutomaticallyHandler implements ICommandHandler<RotateKeyAutomatically, number> {
  constructor(
    private readonly executor: KeyCommandExecutor,
    @Inject(MATERIAL_VAULT) private readonly vault: MaterialVault,
  ) {}

  /** Returns 1 if the key was rotated (0: not due, or another instance rotated it first). */
  async execute({ keyId, requestId }: RotateKeyAutomatically): Promise<number> {
    const { state } = await this.executor.load(keyId);
    const key = state.key;
    if (!key) return 0;
    const ctx = serviceContext({ accountId: key.accountId, region: key.region }, 'keyledger-rotation', requestId, 'RotateKey');
    const result = await rotate(this.executor, this.vault, ctx, { keyId, keyArn: key.arn, state }, 'RotateKeyAutomatically');
    return result.decision.events.filter((e) => e.type === KeyEventTypes.KeyMaterialRotated).length;
  }
}
