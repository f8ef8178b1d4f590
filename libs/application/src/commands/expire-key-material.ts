import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { KeyCommandExecutor } from '../key-command-executor';
import { serviceContext } from '../request-context';

/** Issued by the expiry job for a key whose material has reached its ValidTo. */
export class ExpireKeyMaterial {
  constructor(
    readonly keyId: string,
    readonly requestId: string,
  ) {}
}

@CommandHandler(ExpireKeyMaterial)
export class ExpireKeyMaterialHandler implements ICommandHandler<ExpireKeyMaterial, number> {
  constructor(private readonly executor: KeyCommandExecutor) {}

  /** Returns how many materials were recorded as expired (0 if another instance got there first). */
  async execute({ keyId, requestId }: ExpireKeyMaterial): Promise<number> {
    const { state } = await this.executor.load(keyId);
    if (!state.key) return 0;
    const ctx = serviceContext({ accountId: state.key.accountId, region: state.key.region }, 'keyledger-expiry', requestId, 'DeleteExpiredKeyMaterial');
    const { decision } = await this.executor.execute(keyId, { kind: 'ExpireKeyMaterial', keyArn: state.key.arn }, ctx);
    return decision.events.length;
  }
}
