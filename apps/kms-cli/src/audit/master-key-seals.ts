import type { RecordedEvent } from '@keyledger/event-store';
import { eventTime } from './audit-row';

/** `rotate-master-key` records its re-seals here (as in apps/kms-cli/src/commands/rotate-master-key.ts, kept light to load). */
export const MASTER_KEY_STREAM_ID = 'keyledger-master-key';
export const MASTER_KEY_ROTATED = 'MasterKeyRotated.v1';

/** Where a material's seal was recorded: the master key id a key event names, and that event's log position. */
export interface RecordedSeal {
  masterKeyId: string;
  position: number;
}

/**
 * The seal a key event records, by material id: KeyCreated (generated material), KeyMaterialImported and
 * KeyMaterialRotated (generated material) name `sealedUnderMasterKeyId`; events before issue 9 name none.
 */
export function sealRecordedBy(event: RecordedEvent): [keyMaterialId: string, seal: RecordedSeal] | undefined {
  const { keyMaterialId, sealedUnderMasterKeyId } = event.data;
  if (typeof keyMaterialId !== 'string' || typeof sealedUnderMasterKeyId !== 'string') return undefined;
  return [keyMaterialId, { masterKeyId: sealedUnderMasterKeyId, position: event.position }];
}

/**
 * The master key a material was sealed under at `asOf`: the one its key event recorded, or the one a later
 * MasterKeyRotated.v1 (up to `asOf`) re-sealed it under. Undefined when the key event named none.
 */
export function sealedUnderAt(
  seal: RecordedSeal | undefined,
  material: { keyId: string; keyMaterialId: string },
  masterKeyEvents: Iterable<RecordedEvent>,
  asOf: number,
): string | undefined {
  let masterKeyId = seal?.masterKeyId;
  for (const event of masterKeyEvents) {
    if (event.type !== MASTER_KEY_ROTATED || eventTime(event) > asOf || (seal && event.position < seal.position)) continue;
    const rewrapped = Array.isArray(event.data.rewrapped) ? event.data.rewrapped : [];
    const names = rewrapped.some((entry) => {
      const row = entry as { keyId?: unknown; keyMaterialId?: unknown } | null;
      return row?.keyId === material.keyId && row?.keyMaterialId === material.keyMaterialId;
    });
    if (names && typeof event.data.toMasterKeyId === 'string') masterKeyId = event.data.toMasterKeyId;
  }
  return masterKeyId;
}
