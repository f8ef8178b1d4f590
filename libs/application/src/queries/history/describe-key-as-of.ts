import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { foldEvents, initialState, KeyEventTypes, keyArn, KeyMetadata, KmsErrors, RequestScope, toKeyMetadata } from '@keyledger/domain';
import type { EventStore, RecordedEvent } from '@keyledger/event-store';
import { keyIdOrThrow } from '../../key-resolution';
import { toKeyEvents } from '../../stored-events';
import { CLOCK, Clock, EVENT_STORE } from '../../ports';
import { eventTime, keyStreamPages } from './key-stream';

export class DescribeKeyAsOf {
  constructor(
    readonly scope: RequestScope,
    readonly keyId: string,
    /** Epoch milliseconds. */
    readonly asOf: number,
  ) {}
}

export interface HistoricalKeyMetadata {
  metadata: KeyMetadata;
  /** Revision of the last event recorded at or before `asOf`. */
  revision: number;
}

/**
 * The key as it was at `asOf`: its stream replayed up to the last event recorded at or before that moment,
 * read from the event store rather than the projection (which only knows the present). Material is shown as
 * expired from its ValidTo on, as DescribeKey would have shown it then; a key deleted by then is not found, as it is
 * not found now; a moment after now cannot be known yet,
 * so the replay stops at now. The stream is read in pages and only up to the first event after the moment, so
 * the cost is the history up to then, and the event loop runs between pages.
 */
@QueryHandler(DescribeKeyAsOf)
export class DescribeKeyAsOfHandler implements IQueryHandler<DescribeKeyAsOf, HistoricalKeyMetadata> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ scope, keyId: keyIdInput, asOf }: DescribeKeyAsOf): Promise<HistoricalKeyMetadata> {
    const keyId = keyIdOrThrow(keyIdInput, scope, { allowAlias: false });
    const moment = Math.min(asOf, this.clock.now());
    let state = initialState();
    let last: RecordedEvent | undefined;
    // A prefix of the stream, never a filter: a state is only ever the fold of the events before it.
    pages: for await (const page of keyStreamPages(this.store, keyId)) {
      // A key of another account or region does not exist for the caller (its KeyCreated is the first event).
      if (!last && !createdIn(scope, page[0])) break;
      const end = page.findIndex((e) => eventTime(e) > moment);
      const replayed = end === -1 ? page : page.slice(0, end);
      state = foldEvents(toKeyEvents(replayed), state);
      last = replayed[replayed.length - 1] ?? last;
      if (end !== -1) break pages;
    }
    // From its deletion on, the key does not exist, as DescribeKey says now (only its history stays readable).
    if (!state.key || !last || state.deletedAt !== undefined) throw KmsErrors.keyNotFound(keyArn(scope, keyId));
    return { metadata: toKeyMetadata(state, moment), revision: last.revision };
  }
}

const createdIn = (scope: RequestScope, event: RecordedEvent): boolean =>
  event.type === KeyEventTypes.KeyCreated && event.data.accountId === scope.accountId && event.data.region === scope.region;
