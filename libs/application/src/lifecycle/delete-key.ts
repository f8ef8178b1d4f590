import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { KeyCommandExecutor } from '../key-command-executor';

/** Issued by the maintenance job for a key whose DeletionDate has passed. */
export class DeleteKey {
  constructor(
    readonly keyId: string,
    readonly requestId: string,
  ) {}
}

/**
 * Deletes the key (KeyDeleted, its material shredded by the executor). Returns 1 when this call deleted it, 0
 * when it was not due or another instance (or an earlier run) deleted it: the decider records a deletion once.
 */
@CommandHandler(DeleteKey)
export class DeleteKeyHandler implements ICommandHandler<DeleteKey, number> {
  constructor(private readonly executor: KeyCommandExecutor) {}

  execute({ keyId, requestId }: DeleteKey): Promise<number> {
    const invocation = { invokedBy: 'keyledger-deletion', requestId, operation: 'DeleteKey' };
    return this.executor.executeAsService(keyId, invocation, (keyArn) => ({ kind: 'DeleteKey', keyArn }));
  }
}
