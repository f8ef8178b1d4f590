import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { keyStreamId, type Principal, type RequestScope } from '@keyledger/domain';
import type { EventStore, JsonObject, RecordedEvent } from '@keyledger/event-store';
import { KeyCommandExecutor } from '../../key-command-executor';
import { EVENT_STORE } from '../../ports';
import { eventTime, loadKeyInScope } from './key-stream';

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

/**
 * A key's full history from its own stream, oldest first, paged by revision: each page is one range read of the
 * store, so its cost is the page, not the history. The page stops at the revision reported (the key's current
 * one when the request began), so an event appended meanwhile shows up on a later request, never past `revision`.
 */
@QueryHandler(GetKeyHistory)
export class GetKeyHistoryHandler implements IQueryHandler<GetKeyHistory, KeyHistoryPage> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly keys: KeyCommandExecutor,
  ) {}

  async execute({ scope, keyId: keyIdInput, page }: GetKeyHistory): Promise<KeyHistoryPage> {
    const { keyId, revision } = await loadKeyInScope(this.keys, scope, keyIdInput);
    const fromRevision = Math.max(0, (page.afterRevision ?? -1) + 1);
    const events = fromRevision > revision ? [] : await this.store.readStream(keyStreamId(keyId), { fromRevision, maxCount: page.limit });
    const entries = events.filter((e) => e.revision <= revision).map(toEntry);
    const last = entries[entries.length - 1];
    return { keyId, revision, entries, nextAfterRevision: last && last.revision < revision ? last.revision : undefined };
  }
}
