import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { keyArn, KmsError, KmsErrors, RequestScope, visibleKey } from '@keyledger/domain';
import { KeyResolver, keyIdOrThrow } from '../key-resolution';
import { ALIAS_READ_MODEL, AliasEntry, AliasReadModel, KEY_READ_MODEL, KeyReadModel } from '../ports';

export class ListAliases {
  constructor(
    readonly scope: RequestScope,
    readonly input: { keyId?: string; limit: number; marker?: string },
  ) {}
}

export interface AliasList {
  aliases: AliasEntry[];
  nextMarker?: string;
}

/** ListAliases from the alias read model, optionally for one key (named by id or ARN; the key must exist). */
@QueryHandler(ListAliases)
export class ListAliasesHandler implements IQueryHandler<ListAliases, AliasList> {
  constructor(
    @Inject(ALIAS_READ_MODEL) private readonly aliases: AliasReadModel,
    @Inject(KEY_READ_MODEL) private readonly keys: KeyReadModel,
  ) {}

  async execute({ scope, input }: ListAliases): Promise<AliasList> {
    let keyId: string | undefined;
    if (input.keyId !== undefined) {
      keyId = keyIdOrThrow(input.keyId, scope, { allowAlias: false });
      const state = await this.keys.findKey(scope, keyId);
      if (!state || !visibleKey(state, keyArn(scope, keyId))) throw KmsErrors.keyNotFound(keyArn(scope, keyId));
    }
    const page = await this.aliases.listAliases(scope, { keyId, limit: input.limit, marker: input.marker });
    if (page === 'invalid-marker') {
      throw new KmsError('InvalidMarkerException', 'The request was rejected because the marker that specifies where pagination should next begin is not valid.');
    }
    return page;
  }
}


/** Whether the alias exists now: read from its own stream, so it includes every committed write, this instance's or not. */
export class AliasExists {
  constructor(
    readonly scope: RequestScope,
    readonly aliasName: string,
  ) {}
}

@QueryHandler(AliasExists)
export class AliasExistsHandler implements IQueryHandler<AliasExists, boolean> {
  constructor(private readonly resolver: KeyResolver) {}

  async execute({ scope, aliasName }: AliasExists): Promise<boolean> {
    return (await this.resolver.alias(scope, aliasName)).state !== undefined;
  }
}

export const ALIAS_QUERY_HANDLERS = [ListAliasesHandler, AliasExistsHandler];
