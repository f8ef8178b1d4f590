import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { KmsError, RequestScope } from '@keyledger/domain';
import { KEY_READ_MODEL, KeyListEntry, KeyReadModel } from '../ports';

export class ListKeys {
  constructor(
    readonly scope: RequestScope,
    readonly limit: number,
    readonly marker?: string,
  ) {}
}

export interface KeyList {
  keys: KeyListEntry[];
  nextMarker?: string;
}

@QueryHandler(ListKeys)
export class ListKeysHandler implements IQueryHandler<ListKeys, KeyList> {
  constructor(@Inject(KEY_READ_MODEL) private readonly readModel: KeyReadModel) {}

  async execute({ scope, limit, marker }: ListKeys): Promise<KeyList> {
    const page = await this.readModel.listKeys(scope, { limit, marker });
    if (page === 'invalid-marker') throw new KmsError('InvalidMarkerException', 'The request was rejected because the marker that specifies where pagination should next begin is not valid.');
    return page;
  }
}
