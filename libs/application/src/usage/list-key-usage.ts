import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { keyArn, KmsError, KmsErrors, RequestScope } from '@keyledger/domain';
import { keyIdOrThrow } from '../key-resolution';
import { KEY_READ_MODEL, KeyReadModel, USAGE_LOG, USAGE_RECORDER, UsageLog, UsagePage, UsageQuery, UsageRecorder } from '../ports';

/** A page never holds more than this, whatever the caller asks for. */
export const MAX_USAGE_PAGE = 1000;

/** The filters and paging of a usage listing; the key and the caller's scope come from the query itself. */
export type KeyUsageFilter = Omit<UsageQuery, 'accountId' | 'region' | 'keyId'>;

export class ListKeyUsage {
  constructor(
    readonly scope: RequestScope,
    /** Key id or key ARN (not an alias). */
    readonly keyId: string,
    readonly filter: KeyUsageFilter,
  ) {}
}

export interface KeyUsagePage extends UsagePage {
  keyId: string;
  keyArn: string;
}

/**
 * A key's uses (and refused attempts), oldest first, from the usage read model. Only keys of the caller's
 * account and region: another's key is NotFound, as for DescribeKey. The recorder is flushed first, so a caller
 * sees its own uses.
 */
@QueryHandler(ListKeyUsage)
export class ListKeyUsageHandler implements IQueryHandler<ListKeyUsage, KeyUsagePage> {
  constructor(
    @Inject(KEY_READ_MODEL) private readonly keys: KeyReadModel,
    @Inject(USAGE_RECORDER) private readonly recorder: UsageRecorder,
    @Inject(USAGE_LOG) private readonly usage: UsageLog,
  ) {}

  async execute({ scope, keyId: input, filter }: ListKeyUsage): Promise<KeyUsagePage> {
    const keyId = keyIdOrThrow(input, scope, { allowAlias: false });
    const state = await this.keys.findKey(scope, keyId);
    // A deleted key's usage stays readable to auditors, like its history.
    if (!state?.key) throw KmsErrors.keyNotFound(keyArn(scope, keyId));
    await this.recorder.flush();
    const limit = Math.min(Math.max(1, Math.floor(filter.limit)), MAX_USAGE_PAGE);
    const page = await this.usage.query({ ...filter, limit, accountId: scope.accountId, region: scope.region, keyId });
    if (page === 'invalid-cursor') {
      throw new KmsError('InvalidMarkerException', 'The request was rejected because the cursor that specifies where pagination should next begin is not valid.');
    }
    return { keyId, keyArn: state.key.arn, ...page };
  }
}
