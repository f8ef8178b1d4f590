import { KeyEventTypes, keyStreamId } from '@keyledger/domain';
import type { RecordedEvent } from '@keyledger/event-store';
import { MaterialCacheEviction } from './material-cache-eviction';

const recorded = (type: string, data: object, streamId = keyStreamId('key-1')): RecordedEvent =>
  ({ streamId, type, data, metadata: {}, revision: 0, position: 1, created: new Date(0).toISOString() }) as unknown as RecordedEvent;

describe('MaterialCacheEviction', () => {
  it('forgets material the log shows deleted, expired, or removed with its key, and nothing else', () => {
    const forgotten: string[] = [];
    const eviction = new MaterialCacheEviction({ forget: (keyId, materialId) => forgotten.push(`${keyId}/${materialId}`) });
    eviction.apply(recorded(KeyEventTypes.KeyMaterialDeleted, { keyMaterialId: 'm1' }));
    eviction.apply(recorded(KeyEventTypes.KeyMaterialExpired, { keyMaterialId: 'm2', validTo: '2026-01-01T00:00:00Z' }));
    eviction.apply(recorded(KeyEventTypes.KeyDeleted, { deletionDate: '2026-01-01T00:00:00Z', keyMaterialIds: ['m3', 'm4'] }));
    eviction.apply(recorded(KeyEventTypes.KeyDisabled, {}));
    eviction.apply(recorded(KeyEventTypes.KeyMaterialDeleted, { keyMaterialId: 'x' }, 'kms-alias-000000000000:us-east-1:alias/a'));
    expect(forgotten).toEqual(['key-1/m1', 'key-1/m2', 'key-1/m3', 'key-1/m4']);
  });
});
