import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { keyArn } from '@keyledger/domain';
import { KeyCommandExecutor } from '../key-command-executor';
import { keyIdOrThrow } from '../key-resolution';
import { RequestContext } from '../request-context';
import type { KeyMaterialResult } from './import-key-material';

export class DeleteImportedKeyMaterial {
  constructor(
    readonly ctx: RequestContext,
    readonly input: { keyId: string; keyMaterialId?: string },
  ) {}
}

@CommandHandler(DeleteImportedKeyMaterial)
export class DeleteImportedKeyMaterialHandler implements ICommandHandler<DeleteImportedKeyMaterial, KeyMaterialResult> {
  constructor(private readonly executor: KeyCommandExecutor) {}

  async execute({ ctx, input }: DeleteImportedKeyMaterial): Promise<KeyMaterialResult> {
    const keyId = keyIdOrThrow(input.keyId, ctx, { allowAlias: false });
    const arn = keyArn(ctx, keyId);
    const { decision, revision } = await this.executor.execute(keyId, { kind: 'DeleteImportedKeyMaterial', keyArn: arn, keyMaterialId: input.keyMaterialId }, ctx);
    return { keyArn: arn, keyMaterialId: decision.keyMaterialId, revision };
  }
}
