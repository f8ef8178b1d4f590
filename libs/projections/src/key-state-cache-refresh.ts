import { keyIdFromStreamId } from '@keyledger/domain';
import type { RecordedEvent } from '@keyledger/event-store';
import { Projection } from './projection';

/** What the refresh needs of the key state cache (libs/application KeyStateCache). */
export interface SeesKeyRevisions {
  saw(keyId: string, revision: number): void;
}

/**
 * Tells the key state cache about every key event in the log, whichever instance wrote it, so a cached state
 * that another instance has moved past stops being trusted for uses (the next use reads the new events). This is
 * what bounds cross-instance staleness by the subscription lag. Not a read model (nothing is stored), so it is
 * wired beside the read models by the service only.
 */
export class KeyStateCacheRefresh implements Projection {
  readonly name = 'key-state-cache-refresh';

  constructor(private readonly cache: SeesKeyRevisions) {}

  apply(recorded: RecordedEvent): void {
    const keyId = keyIdFromStreamId(recorded.streamId);
    if (keyId) this.cache.saw(keyId, recorded.revision);
  }

  reset(): void {}
}
