import type { RecordedEvent } from '@keyledger/event-store';

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

/** Why read models that are not `consistent` with the log get rebuilt, for the warning that says so. */
export const CHECKPOINT_MISMATCH: Record<Exclude<CheckpointAgainstLog, 'consistent'>, string> = {
  ahead: 'the read models are ahead of the event log (commits lost in a crash, or another log)',
  diverged: 'the read models do not match the event log at their checkpoint (commits lost in a crash and their positions used again, or another log)',
};

/** What the comparison reads of the log (an EventStore has it; so can a read-only look at the embedded log's file). */
export interface LogPositions {
  headPosition(): Promise<number>;
  readEventsAt(positions: readonly number[]): Promise<Array<Pick<RecordedEvent, 'recordedAt'>>>;
}

/**
 * Compares the read models' checkpoint with the log. Both cases that are not `consistent` follow commits the log
 * lost and the read models kept (an OS crash or power cut on the embedded store, where most usage batches are
 * committed without an fsync), or a read-models file from another log: `ahead` when nothing has been appended
 * since, `diverged` when another instance on the same log appended at the lost positions first. Throws what the
 * log throws.
 */
export async function checkpointAgainstLog(log: LogPositions, checkpoint: StoredCheckpoint): Promise<CheckpointAgainstLog> {
  if (checkpoint.position > (await log.headPosition())) return 'ahead';
  if (checkpoint.position === 0 || checkpoint.recordedAt === null) return 'consistent';
  const [event] = await log.readEventsAt([checkpoint.position]);
  return event?.recordedAt === checkpoint.recordedAt ? 'consistent' : 'diverged';
}
