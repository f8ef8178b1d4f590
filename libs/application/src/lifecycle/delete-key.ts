import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { KeyCommandExecutor } from '../key-command-executor';
import { serviceContext } from '../request-context';

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

  async execute({ keyId, requestId }: DeleteKey): Promise<number> {
    const { state } = await this.executor.load(keyId);
    const key = state.key;
    if (!key) return 0;
    const ctx = serviceContext({ accountId: key.accountId, region: key.region }, 'keyledger-deletion', requestId, 'DeleteKey');
    const { decision } = await this.executor.execute(keyId, { kind: 'DeleteKey', keyArn: key.arn }, ctx);
    return decision.events.length;
  }
}
