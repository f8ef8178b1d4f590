import { KeyEventTypes, keyIdFromStreamId } from '@keyledger/domain';
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
    if (!keyId) return;
    for (const keyMaterialId of removedMaterial(recorded)) this.cache.forget(keyId, keyMaterialId);
  }

  reset(): void {}
}

function removedMaterial(recorded: RecordedEvent): string[] {
  const data = recorded.data as { keyMaterialId?: unknown; keyMaterialIds?: unknown };
  switch (recorded.type) {
    case KeyEventTypes.KeyMaterialDeleted:
    case KeyEventTypes.KeyMaterialExpired:
      return typeof data.keyMaterialId === 'string' ? [data.keyMaterialId] : [];
    case KeyEventTypes.KeyDeleted:
      return Array.isArray(data.keyMaterialIds) ? data.keyMaterialIds.filter((id): id is string => typeof id === 'string') : [];
    default:
      return [];
  }
}
