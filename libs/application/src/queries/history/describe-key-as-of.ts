import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { foldEvents, keyArn, KeyMetadata, KmsErrors, RequestScope, toKeyMetadata } from '@keyledger/domain';
import type { EventStore } from '@keyledger/event-store';
import { toKeyEvents } from '../../stored-events';
import { CLOCK, Clock, EVENT_STORE } from '../../ports';
import { eventTime, readKeyStream } from './key-stream';

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
 * expired from its ValidTo on, as DescribeKey would have shown it then; a moment after now cannot be known yet,
 * so the replay stops at now.
 */
@QueryHandler(DescribeKeyAsOf)
export class DescribeKeyAsOfHandler implements IQueryHandler<DescribeKeyAsOf, HistoricalKeyMetadata> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ scope, keyId, asOf }: DescribeKeyAsOf): Promise<HistoricalKeyMetadata> {
    const stream = await readKeyStream(this.store, scope, keyId);
    const moment = Math.min(asOf, this.clock.now());
    // A prefix of the stream, never a filter: a state is only ever the fold of the events before it.
    const end = stream.events.findIndex((e) => eventTime(e) > moment);
    const replayed = end === -1 ? stream.events : stream.events.slice(0, end);
    const state = foldEvents(toKeyEvents(replayed));
    if (!state.key) throw KmsErrors.keyNotFound(keyArn(scope, stream.keyId));
    return { metadata: toKeyMetadata(state, moment), revision: replayed[replayed.length - 1].revision };
  }
}
