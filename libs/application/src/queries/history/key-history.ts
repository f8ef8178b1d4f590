import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { Principal, RequestScope } from '@keyledger/domain';
import type { EventStore, JsonObject, RecordedEvent } from '@keyledger/event-store';
import { EVENT_STORE } from '../../ports';
import { eventTime, readKeyStream } from './key-stream';

export class GetKeyHistory {
  constructor(
    readonly scope: RequestScope,
    readonly keyId: string,
    readonly page: { limit: number; afterRevision?: number },
  ) {}
}

/** One recorded change of a key, as an auditor reads it. Payloads hold ids and facts, never key material. */
export interface KeyHistoryEntry {
  type: string;
  revision: number;
  /** Position in the global log. */
  position: number;
  /** Epoch milliseconds the event was decided. */
  time: number;
  principal?: Principal;
  requestId?: string;
  correlationId?: string;
  causationId?: string;
  operation?: string;
  data: JsonObject;
}

export interface KeyHistoryPage {
  keyId: string;
  /** The stream's current revision. */
  revision: number;
  entries: KeyHistoryEntry[];
  /** Pass as `afterRevision` for the next page; absent on the last page. */
  nextAfterRevision?: number;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function toEntry(event: RecordedEvent): KeyHistoryEntry {
  const { metadata } = event;
  return {
    type: event.type,
    revision: event.revision,
    position: event.position,
    time: eventTime(event),
    principal: metadata.principal && typeof metadata.principal === 'object' ? (metadata.principal as unknown as Principal) : undefined,
    requestId: text(metadata.requestId),
    correlationId: text(metadata.correlationId),
    causationId: text(metadata.causationId),
    operation: text(metadata.operation),
    data: event.data,
  };
}

/** A key's full history from its own stream, oldest first, paged by revision. */
@QueryHandler(GetKeyHistory)
export class GetKeyHistoryHandler implements IQueryHandler<GetKeyHistory, KeyHistoryPage> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ scope, keyId, page }: GetKeyHistory): Promise<KeyHistoryPage> {
    const stream = await readKeyStream(this.store, scope, keyId);
    const after = page.afterRevision ?? -1;
    const remaining = stream.events.filter((e) => e.revision > after);
    const entries = remaining.slice(0, page.limit).map(toEntry);
    return {
      keyId: stream.keyId,
      revision: stream.events[stream.events.length - 1].revision,
      entries,
      nextAfterRevision: remaining.length > page.limit ? entries[entries.length - 1].revision : undefined,
    };
  }
}
