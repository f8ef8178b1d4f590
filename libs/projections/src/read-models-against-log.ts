import type { EventStore } from '@keyledger/event-store';

/** Where the read models' checkpoint stands: the position last applied and, when known, that event's commit time. */
export interface StoredCheckpoint {
  position: number;
  /** recordedAt of the event at `position` when it was applied; null when unknown (none applied yet, or a file of the earlier format). */
  recordedAt: number | null;
}

/**
 * - `ahead`: the checkpoint is past the log's head.
 * - `diverged`: the log's event at the checkpoint is missing or another event (its positions were handed out again).
 * - `consistent`: neither (or nothing to compare: the checkpoint is 0 or its event's time is unknown).
 */
export type CheckpointAgainstLog = 'consistent' | 'ahead' | 'diverged';

/**
 * Compares the read models' checkpoint with the log. Both cases that are not `consistent` follow commits the log
 * lost and the read models kept (an OS crash or power cut on the embedded store, where most usage batches are
 * committed without an fsync), or a read-models file from another log: `ahead` when nothing has been appended
 * since, `diverged` when another instance on the same log appended at the lost positions first. Throws what the
 * store throws.
 */
export async function checkpointAgainstLog(store: EventStore, checkpoint: StoredCheckpoint): Promise<CheckpointAgainstLog> {
  if (checkpoint.position > (await store.headPosition())) return 'ahead';
  if (checkpoint.position === 0 || checkpoint.recordedAt === null) return 'consistent';
  const [event] = await store.readEventsAt([checkpoint.position]);
  return event?.recordedAt === checkpoint.recordedAt ? 'consistent' : 'diverged';
}
