import { randomBytes, randomUUID } from 'node:crypto';
import { KeyEventTypes, keyStreamId, NO_STREAM_REVISION } from '@keyledger/domain';
import type { EventStore, JsonObject, NewEvent } from '@keyledger/event-store';

/**
 * Realistic key streams for the history benchmark, in the exact shapes the service writes (events.ts, metadata.ts):
 * KeyCreated, then cycles of ImportParametersIssued → KeyMaterialImported (the same material each time, so the
 * second and later imports are re-imports) → KeyMaterialDeleted or KeyMaterialExpired, alternately. Each event is
 * one simulated minute after the previous one in its stream.
 */
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const MINUTE = 60_000;
export const HISTORY_START = Date.parse('2026-01-01T00:00:00.000Z');

const iso = (ms: number): string => new Date(ms).toISOString();

function metadata(operation: string, at: number, service = false): JsonObject {
  const requestId = randomUUID();
  return {
    accountId: ACCOUNT,
    region: REGION,
    principal: service
      ? { type: 'Service', accountId: ACCOUNT, invokedBy: 'keyledger-expiry' }
      : { type: 'User', accountId: ACCOUNT, accessKeyId: 'AKIAIOSFODNN7EXAMPLE' },
    requestId,
    correlationId: requestId,
    causationId: requestId,
    operation: service ? 'DeleteExpiredKeyMaterial' : operation,
    timestamp: iso(at),
  };
}

/** Event `index` (0-based revision) of a synthetic key's stream. */
export function syntheticKeyEvent(keyId: string, materialId: string, index: number): NewEvent {
  const at = HISTORY_START + index * MINUTE;
  if (index === 0) {
    return {
      type: KeyEventTypes.KeyCreated,
      data: {
        keyId,
        arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`,
        accountId: ACCOUNT,
        region: REGION,
        description: `bench key ${keyId.slice(0, 8)}`,
        keySpec: 'SYMMETRIC_DEFAULT',
        keyUsage: 'ENCRYPT_DECRYPT',
        origin: 'EXTERNAL',
        multiRegion: false,
        creationDate: iso(at),
      },
      metadata: metadata('CreateKey', at),
    };
  }
  const cycle = Math.floor((index - 1) / 3);
  const importTokenId = `${keyId.slice(0, 8)}-0000-4000-8000-${String(cycle).padStart(12, '0')}`;
  switch ((index - 1) % 3) {
    case 0:
      return {
        type: KeyEventTypes.ImportParametersIssued,
        data: {
          importTokenId,
          wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
          wrappingKeySpec: 'RSA_2048',
          parametersValidTo: iso(at + 24 * 60 * MINUTE),
          publicKeyFingerprint: randomBytes(32).toString('hex'),
        },
        metadata: metadata('GetParametersForImport', at),
      };
    case 1:
      return {
        type: KeyEventTypes.KeyMaterialImported,
        data: {
          keyMaterialId: materialId,
          importType: cycle === 0 ? 'NEW_KEY_MATERIAL' : 'EXISTING_KEY_MATERIAL',
          reimport: cycle > 0,
          materialState: 'CURRENT',
          expirationModel: 'KEY_MATERIAL_EXPIRES',
          validTo: iso(at + MINUTE),
          importTokenId,
          wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
          wrappingKeySpec: 'RSA_2048',
        },
        metadata: metadata('ImportKeyMaterial', at),
      };
    default:
      return cycle % 2 === 0
        ? { type: KeyEventTypes.KeyMaterialDeleted, data: { keyMaterialId: materialId }, metadata: metadata('DeleteImportedKeyMaterial', at) }
        : { type: KeyEventTypes.KeyMaterialExpired, data: { keyMaterialId: materialId, validTo: iso(at) }, metadata: metadata('', at, true) };
  }
}

/** The simulated time of revision `index` of any synthetic stream. */
export const syntheticEventTime = (index: number): number => HISTORY_START + index * MINUTE;

/**
 * Appends a synthetic key with `count` events, `batchSize` events per append (each append is one fsynced
 * transaction of the store). Returns the key id.
 */
export async function appendSyntheticKey(store: EventStore, count: number, batchSize: number): Promise<string> {
  const keyId = randomUUID();
  const materialId = randomBytes(32).toString('hex');
  let expected = NO_STREAM_REVISION;
  for (let first = 0; first < count; first += batchSize) {
    const batch: NewEvent[] = [];
    for (let index = first; index < Math.min(count, first + batchSize); index += 1) batch.push(syntheticKeyEvent(keyId, materialId, index));
    expected = (await store.appendToStream(keyStreamId(keyId), batch, expected)).nextExpectedRevision;
  }
  return keyId;
}
