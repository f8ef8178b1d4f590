import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { keyArn, KeyMetadata, KmsErrors, RequestScope, toKeyMetadata, visibleKey } from '@keyledger/domain';
import { KeyResolver } from '../key-resolution';
import { CLOCK, Clock, KEY_READ_MODEL, KeyReadModel } from '../ports';

export class DescribeKey {
  constructor(
    readonly scope: RequestScope,
    readonly keyId: string,
  ) {}
}

/** Served from the key projection; expiry is applied at read time, so a lagging expiry job never shows stale material. */
@QueryHandler(DescribeKey)
export class DescribeKeyHandler implements IQueryHandler<DescribeKey, KeyMetadata> {
  constructor(
    @Inject(KEY_READ_MODEL) private readonly readModel: KeyReadModel,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly resolver: KeyResolver,
  ) {}

  async execute({ scope, keyId: input }: DescribeKey): Promise<KeyMetadata> {
    const keyId = await this.resolver.keyId(input, scope, { allowAlias: true });
    const state = await this.readModel.findKey(scope, keyId);
    if (!state || !visibleKey(state, keyArn(scope, keyId))) throw KmsErrors.keyNotFound(keyArn(scope, keyId));
    return toKeyMetadata(state, this.clock.now());
  }
}
