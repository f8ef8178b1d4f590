import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import {
  AliasTarget,
  aliasArn,
  checkAliasName,
  checkNewAliasName,
  decideCreateAlias,
  decideDeleteAlias,
  decideDeleteAliasOfDeletedKey,
  decideUpdateAlias,
  keyArn,
  KeyOperation,
  KmsError,
  KmsErrors,
  requireKeyInState,
  resolveKeyId,
} from '@keyledger/domain';
import { KeyCommandExecutor } from '../key-command-executor';
import { ALIAS_READ_MODEL, AliasReadModel, CLOCK, Clock } from '../ports';
import { RequestContext, serviceContext } from '../request-context';
import { AliasCommandExecutor } from './alias-command-executor';

/** AWS allows 50 aliases per key (kms-operations-reference.md §9.1). */
export const MAX_ALIASES_PER_KEY = 50;

/** `keyId` is the target key, so a refused alias change is audited under that key like other refusals. */
export class CreateAlias {
  constructor(
    readonly ctx: RequestContext,
    readonly input: { aliasName: string; keyId: string },
  ) {}
}

export class UpdateAlias {
  constructor(
    readonly ctx: RequestContext,
    readonly input: { aliasName: string; keyId: string },
  ) {}
}

export class DeleteAlias {
  constructor(
    readonly ctx: RequestContext,
    readonly input: { aliasName: string },
  ) {}
}

/** Issued by the maintenance job after a key's deletion: its aliases go too. */
export class DeleteAliasesOfDeletedKey {
  constructor(
    readonly keyId: string,
    readonly requestId: string,
  ) {}
}

/**
 * The target of CreateAlias/UpdateAlias: a key id or key ARN of the caller (an alias is refused with moto's text,
 * UNCONFIRMED for AWS), existing, and in a state the key-state table allows.
 */
async function loadTarget(keys: KeyCommandExecutor, clock: Clock, ctx: RequestContext, input: string, operation: KeyOperation): Promise<AliasTarget> {
  const resolved = resolveKeyId(input, ctx, { allowAlias: true });
  if ('error' in resolved) throw resolved.error;
  if (!('keyId' in resolved)) throw KmsErrors.validation('Aliases must refer to keys. Not aliases');
  const { state } = await keys.load(resolved.keyId);
  const key = requireKeyInState(state, keyArn(ctx, resolved.keyId), operation, clock.now());
  return { keyId: key.keyId, keySpec: key.keySpec, keyUsage: key.keyUsage };
}

@CommandHandler(CreateAlias)
export class CreateAliasHandler implements ICommandHandler<CreateAlias, void> {
  constructor(
    private readonly aliases: AliasCommandExecutor,
    private readonly keys: KeyCommandExecutor,
    @Inject(ALIAS_READ_MODEL) private readonly readModel: AliasReadModel,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ ctx, input }: CreateAlias): Promise<void> {
    checkNewAliasName(input.aliasName);
    const target = await loadTarget(this.keys, this.clock, ctx, input.keyId, 'CreateAlias');
    if ((await this.readModel.aliasesOfKey(ctx, target.keyId)).length >= MAX_ALIASES_PER_KEY) {
      throw new KmsError('LimitExceededException', `${keyArn(ctx, target.keyId)} already has ${MAX_ALIASES_PER_KEY} aliases, the most a key can have.`);
    }
    const arn = aliasArn(ctx, input.aliasName);
    const command = { aliasName: input.aliasName, aliasArn: arn, accountId: ctx.accountId, region: ctx.region, target };
    await this.aliases.execute(ctx, input.aliasName, (state, now) => decideCreateAlias(state, command, now), ctx);
  }
}

@CommandHandler(UpdateAlias)
export class UpdateAliasHandler implements ICommandHandler<UpdateAlias, void> {
  constructor(
    private readonly aliases: AliasCommandExecutor,
    private readonly keys: KeyCommandExecutor,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ ctx, input }: UpdateAlias): Promise<void> {
    checkAliasName(input.aliasName);
    const target = await loadTarget(this.keys, this.clock, ctx, input.keyId, 'UpdateAlias');
    const arn = aliasArn(ctx, input.aliasName);
    await this.aliases.execute(ctx, input.aliasName, (state, now) => decideUpdateAlias(state, { aliasArn: arn, target }, now), ctx);
  }
}

@CommandHandler(DeleteAlias)
export class DeleteAliasHandler implements ICommandHandler<DeleteAlias, void> {
  constructor(private readonly aliases: AliasCommandExecutor) {}

  async execute({ ctx, input }: DeleteAlias): Promise<void> {
    checkAliasName(input.aliasName);
    const arn = aliasArn(ctx, input.aliasName);
    await this.aliases.execute(ctx, input.aliasName, (state) => decideDeleteAlias(state, { aliasArn: arn }), ctx);
  }
}

@CommandHandler(DeleteAliasesOfDeletedKey)
export class DeleteAliasesOfDeletedKeyHandler implements ICommandHandler<DeleteAliasesOfDeletedKey, number> {
  constructor(
    private readonly aliases: AliasCommandExecutor,
    private readonly keys: KeyCommandExecutor,
    @Inject(ALIAS_READ_MODEL) private readonly readModel: AliasReadModel,
  ) {}

  /** Returns how many aliases were deleted (0 when another instance got there first). */
  async execute({ keyId, requestId }: DeleteAliasesOfDeletedKey): Promise<number> {
    const { state } = await this.keys.load(keyId);
    const key = state.key;
    if (!key || state.deletedAt === undefined) return 0;
    const scope = { accountId: key.accountId, region: key.region };
    const ctx = serviceContext(scope, 'keyledger-deletion', requestId, 'DeleteAlias');
    let deleted = 0;
    for (const alias of await this.readModel.aliasesOfKey(scope, keyId)) {
      const events = await this.aliases.execute(scope, alias.aliasName, (current) => decideDeleteAliasOfDeletedKey(current, keyId), ctx);
      deleted += events.length;
    }
    return deleted;
  }
}

export const ALIAS_COMMAND_HANDLERS = [CreateAliasHandler, UpdateAliasHandler, DeleteAliasHandler, DeleteAliasesOfDeletedKeyHandler];
