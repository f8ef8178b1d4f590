import { keyIdFromStreamId, materialRemovedBy } from '@keyledger/domain';
import { toKeyEvent } from '@keyledger/application';
import type { RecordedEvent } from '@keyledger/event-store';
import { Projection } from './projection';

/** What the eviction needs of the material cache (libs/application CachingMaterialVault). */
export interface ForgetsMaterial {
  forget(keyId: string, keyMaterialId: string): void;
}

/**
 * Drops cached plaintext material once the log says it was removed, whichever instance removed it: material
 * deleted or expired, and all material of a deleted key. Not a read model (nothing is stored), so it is wired
 * beside the read models by the service only; a replay has nothing to forget.
 */
export class MaterialCacheEviction implements Projection {
  readonly name = 'material-cache-eviction';

  constructor(private readonly cache: ForgetsMaterial) {}

  apply(recorded: RecordedEvent): void {
    const keyId = keyIdFromStreamId(recorded.streamId);
    const event = toKeyEvent(recorded);
    if (!keyId || !event) return;
    // The same material the writing instance shreds from the vault (KeyCommandExecutor).
    for (const keyMaterialId of materialRemovedBy(event)) this.cache.forget(keyId, keyMaterialId);
  }

  reset(): void {}
}
