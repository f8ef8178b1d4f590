import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { KeyCommandExecutor } from '../key-command-executor';

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
  execute({ keyId, requestId }: ExpireKeyMaterial): Promise<number> {
    const invocation = { invokedBy: 'keyledger-expiry', requestId, operation: 'DeleteExpiredKeyMaterial' };
    return this.executor.executeAsService(keyId, invocation, (keyArn) => ({ kind: 'ExpireKeyMaterial', keyArn }));
  }
}
