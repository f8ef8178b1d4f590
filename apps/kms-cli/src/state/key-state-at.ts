import { foldEvents, toKeyMetadata, type KeyMetadata } from '@keyledger/domain';
import type { RecordedEvent } from '@keyledger/event-store';
import { eventTime } from '../audit/audit-row';
import { CliError } from '../cli-error';
// The application library's one place that turns stored events into domain events (and would upcast old
// versions), imported on its own: its index loads NestJS and every handler, which would triple the start-up time.
import { toKeyEvents } from '../../../../libs/application/src/stored-events';

export interface KeyStateAt {
  /** The moment the state is evaluated at (epoch ms): material past its ValidTo at that moment counts as gone. */
  asOf: number;
  /** The last revision of the stream folded in. */
  revision: number;
  metadata: KeyMetadata;
}

/**
 * The key as it was at `asOf` (and/or right after `revision`): folds the prefix of its stream that had happened
 * by then with the same `evolve` as the service, and describes it with the same `toKeyMetadata` as DescribeKey.
 * With only a revision, the state is evaluated at the time of that event.
 */
export function keyStateAt(keyId: string, stream: readonly RecordedEvent[], bound: { asOf?: number; revision?: number }): KeyStateAt {
  const prefix: RecordedEvent[] = [];
  for (const event of stream) {
    if (bound.asOf !== undefined && eventTime(event) > bound.asOf) break;
    if (bound.revision !== undefined && event.revision > bound.revision) break;
    prefix.push(event);
  }
  const last = prefix[prefix.length - 1];
  const state = foldEvents(toKeyEvents(prefix));
  if (!last || !state.key) {
    const createdAt = stream.length > 0 ? new Date(eventTime(stream[0])).toISOString() : 'never';
    const when = bound.asOf !== undefined ? new Date(bound.asOf).toISOString() : `revision ${bound.revision}`;
    throw new CliError(`Key '${keyId}' did not exist yet at ${when} (created ${createdAt}).`);
  }
  const asOf = bound.asOf ?? eventTime(last);
  return { asOf, revision: last.revision, metadata: toKeyMetadata(state, asOf) };
}
