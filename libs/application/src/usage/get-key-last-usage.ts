import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { keyArn, KmsErrors, RequestScope, visibleKey } from '@keyledger/domain';
import { keyIdOrThrow } from '../key-resolution';
import { KEY_READ_MODEL, KeyReadModel, StoredUsageRecord, USAGE_LOG, USAGE_RECORDER, UsageLog, UsageRecorder } from '../ports';

export class GetKeyLastUsage {
  constructor(
    readonly scope: RequestScope,
    /** Key id or key ARN (not an alias). */
    readonly keyId: string,
  ) {}
}

export interface KeyLastUsage {
  keyArn: string;
  keyId: string;
  /** The most recent successful cryptographic use, if any since tracking started. */
  lastUse?: StoredUsageRecord;
  /** Epoch ms from which uses are tracked: the key's creation (uses are recorded from the start here). */
  trackingStartDate: number;
  /** Epoch ms. */
  keyCreationDate: number;
}

/**
 * When was the key last used, and by whom: the last successful use in the usage log. The recorder is flushed
 * first, so a caller sees its own uses.
 */
@QueryHandler(GetKeyLastUsage)
export class GetKeyLastUsageHandler implements IQueryHandler<GetKeyLastUsage, KeyLastUsage> {
  constructor(
    @Inject(KEY_READ_MODEL) private readonly keys: KeyReadModel,
    @Inject(USAGE_RECORDER) private readonly recorder: UsageRecorder,
    @Inject(USAGE_LOG) private readonly usage: UsageLog,
  ) {}

  async execute({ scope, keyId: input }: GetKeyLastUsage): Promise<KeyLastUsage> {
    const keyId = keyIdOrThrow(input, scope, { allowAlias: false });
    const state = await this.keys.findKey(scope, keyId);
    const key = state && visibleKey(state, keyArn(scope, keyId));
    if (!key) throw KmsErrors.keyNotFound(keyArn(scope, keyId));
    await this.recorder.flush();
    const lastUse = await this.usage.lastUse(scope, keyId);
    return {
      keyArn: key.arn,
      keyId,
      ...(lastUse && { lastUse }),
      trackingStartDate: key.creationDate,
      keyCreationDate: key.creationDate,
    };
  }
}
