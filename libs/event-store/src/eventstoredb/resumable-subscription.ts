import { setTimeout as sleep } from 'node:timers/promises';
import type { START, AllStreamResolvedEvent, EventStoreDBClient, Position } from '@eventstore/db-client';
import { StoreUnavailableError, type RecordedEvent } from '../event-store.port';
import { isTransient } from './client-errors';
import { dbClient } from './db-client';
import { isSystemEvent, positionOf, toRecordedEvent } from './event-mapping';
import { toPortPosition, type LogPositions } from './log-positions';
import { asStoreUnavailable, type StoreCalls } from './store-calls';
import type { StreamNamespace } from './stream-namespace';

export interface ResubscribeBackoff {
  /** Wait before the first re-subscription after a drop (default 100 ms); doubles up to maxDelayMs. */
  initialDelayMs: number;
  /** Default 5 s. */
  maxDelayMs: number;
}

export const DEFAULT_RESUBSCRIBE_BACKOFF: ResubscribeBackoff = { initialDelayMs: 100, maxDelayMs: 5000 };

export interface ResumableSubscriptionSource {
  client: EventStoreDBClient;
  namespace: StreamNamespace;
  positions: LogPositions;
  backoff: ResubscribeBackoff;
  /** Deadlines for the reads around the subscription and for its confirmation; the connectivity it reports to. */
  calls: StoreCalls;
}

/**
 * A catch-up subscription to the namespace's part of `$all` (server-side stream-prefix filter) that survives
 * dropped connections: it re-subscribes from the last event it yielded and skips anything at or before it,
 * so events are neither lost nor duplicated nor reordered. Ends when `signal` aborts; throws only on errors
 * that re-subscribing cannot fix.
 *
 * While the server is unavailable it keeps trying (with the backoff), and it tries again at once whenever any
 * other call of the store succeeds again, so read models resume as soon as the server is back. A subscription
 * the server does not confirm within the store's timeout is abandoned and re-opened; one that was open across
 * an outage seen by other calls is re-opened when the server is back (its connection may be dead unnoticed).
 */
export async function* resumableSubscription(
  source: ResumableSubscriptionSource,
  after: number,
  signal: AbortSignal,
): AsyncGenerator<RecordedEvent, void, undefined> {
  const { namespace, positions, backoff } = source;
  let delivered = after;
  let resumeFrom: Position | typeof START | undefined;
  let delay = backoff.initialDelayMs;

  while (!signal.aborted) {
    try {
      resumeFrom ??= await startingPoint(source, after);
      for await (const resolved of serverSubscription(source, resumeFrom, signal)) {
        const event = resolved.event;
        if (!event) continue;
        const position = positionOf(event);
        const origin = await positions.requireOrigin();
        if (toPortPosition(position.commit, origin) <= delivered || isSystemEvent(event)) continue;
        if (signal.aborted) return;
        const recorded = toRecordedEvent(event, namespace, origin);
        yield recorded;
        delivered = recorded.position;
        resumeFrom = position;
        delay = backoff.initialDelayMs;
      }
    } catch (error) {
      if (signal.aborted) return;
      if (!isTransient(error)) throw error;
    }
    // The server ended or dropped the subscription (or could not be reached): try again after a pause, or as
    // soon as another call finds the server back.
    const pause = new AbortController();
    const stop = AbortSignal.any([signal, pause.signal]);
    await Promise.race([sleep(delay, undefined, { signal: stop }).catch(() => undefined), source.calls.connectivity.nextRecovery(stop)]);
    pause.abort();
    if (signal.aborted) return;
    delay = Math.min(delay * 2, backoff.maxDelayMs);
  }
}

/** One server-side subscription, filtered on the namespace's prefix; cancelled when left or aborted. */
async function* serverSubscription(
  { client, namespace, calls }: ResumableSubscriptionSource,
  fromPosition: Position | typeof START,
  signal: AbortSignal,
): AsyncGenerator<AllStreamResolvedEvent, void, undefined> {
  const { connectivity } = calls;
  const subscription = client.subscribeToAll({ fromPosition, filter: dbClient().streamNameFilter({ prefixes: [namespace.prefix] }) });
  subscription.on('error', () => undefined); // surfaced by the iterator below; never an unhandled 'error'
  const fail = (error: StoreUnavailableError): void => {
    if (!subscription.destroyed) subscription.destroy(error);
  };
  const unconfirmed = setTimeout(
    () => fail(new StoreUnavailableError('timeout', `EventStoreDB did not confirm a subscription within ${calls.timeoutMs} ms`)),
    calls.timeoutMs,
  );
  let confirmedAfterOutages: number | undefined;
  subscription.once('confirmation', () => {
    clearTimeout(unconfirmed);
    confirmedAfterOutages = connectivity.outages;
    connectivity.succeeded();
  });
  const stopWatchingRecovery = connectivity.onRecovered(() => {
    if (confirmedAfterOutages !== undefined && connectivity.outages > confirmedAfterOutages) {
      fail(new StoreUnavailableError('unreachable', 'Re-opening a subscription that was open during an outage'));
    }
  });
  const stop = (): void => {
    void subscription.unsubscribe();
    subscription.destroy();
  };
  signal.addEventListener('abort', stop, { once: true });
  try {
    yield* subscription as AsyncIterable<AllStreamResolvedEvent>;
  } catch (error) {
    const unavailable = signal.aborted ? undefined : asStoreUnavailable(error, 'subscribeToAll');
    if (unavailable) connectivity.failed(unavailable);
    throw unavailable ?? error;
  } finally {
    clearTimeout(unconfirmed);
    stopWatchingRecovery();
    signal.removeEventListener('abort', stop);
    stop();
  }
}

/** START for a subscription from the beginning; otherwise an exact record position (see exactStartFor). */
async function startingPoint(source: ResumableSubscriptionSource, after: number): Promise<Position | typeof START> {
  if (after === 0) return dbClient().START;
  return (await source.positions.exactStartFor(after))?.from ?? dbClient().START;
}
