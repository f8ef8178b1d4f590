import { randomUUID } from 'node:crypto';
import { InMemoryEventStore, JsonObject, NO_STREAM, type EventStore, type ReadAllOptions, type RecordedEvent } from '@keyledger/event-store';
import { AuditEventTypes, refusalStreamForKey } from '../audit-streams';
import { ChainingEventStore } from '../chaining-event-store';
import { LogDigestWriter, SignedDigest } from '../log-digest-writer';
import { AuditSigningKey, generateSigningKey } from '../signing-key';
import type { LogSource } from '../verifier';

export const KEY_A = '00000000-0000-4000-8000-00000000000a';
export const KEY_B = '00000000-0000-4000-8000-00000000000b';

const metadata = (accessKeyId: string, operation: string): JsonObject => ({
  accountId: '111122223333',
  region: 'eu-west-1',
  principal: { type: 'User', accountId: '111122223333', accessKeyId },
  requestId: randomUUID(),
  operation,
  timestamp: '2026-11-22T10:00:00.000Z',
});

/**
 * A small chained and signed log, laid out so every tampering case has an obvious culprit:
 *
 *   1 kms-key-A r0   2 kms-key-B r0   3 kms-key-A r1   4 kms-key-A r2   5 kms-refusals-B r0   6 kms-key-B r1
 *   7 digest #1 over (0, 6]
 *   8 kms-key-A r3   9 kms-key-B r2   10 kms-key-A r4
 *   11 digest #2 over (6, 10]
 *   12 kms-key-B r3  (not digested yet)
 */
export async function buildSignedLog(): Promise<{ store: EventStore; signingKey: AuditSigningKey; events: RecordedEvent[]; digests: SignedDigest[] }> {
  const store = new ChainingEventStore(new InMemoryEventStore());
  const signingKey = generateSigningKey();
  const writer = new LogDigestWriter({ store, signingKey, now: () => Date.parse('2026-11-22T11:00:00Z'), newId: randomUUID });
  const revisions = new Map<string, number>();
  const append = async (streamId: string, type: string, data: JsonObject, who = 'AKIAALICE') => {
    const expected = revisions.get(streamId) ?? NO_STREAM;
    const result = await store.appendToStream(streamId, [{ type, data, metadata: metadata(who, type) }], expected);
    revisions.set(streamId, result.nextExpectedRevision);
  };
  const keyA = `kms-key-${KEY_A}`;
  const keyB = `kms-key-${KEY_B}`;
  await append(keyA, 'KeyCreated.v1', { keyId: KEY_A, description: 'payments' });
  await append(keyB, 'KeyCreated.v1', { keyId: KEY_B, description: 'backups' });
  await append(keyA, 'ImportParametersIssued.v1', { importTokenId: 't-1', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' });
  await append(keyA, 'KeyMaterialImported.v1', { keyMaterialId: 'a'.repeat(64), importTokenId: 't-1' });
  await append(refusalStreamForKey(KEY_B), AuditEventTypes.RequestRefused, { operation: 'ImportKeyMaterial', keyId: KEY_B, parameters: {}, errorType: 'InvalidImportTokenException', errorMessage: 'no' }, 'AKIAMALLORY');
  await append(keyB, 'ImportParametersIssued.v1', { importTokenId: 't-2', wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256' });
  const first = (await writer.writeDigest())!;
  await append(keyA, 'KeyMaterialDeleted.v1', { keyMaterialId: 'a'.repeat(64) });
  await append(keyB, 'KeyMaterialImported.v1', { keyMaterialId: 'b'.repeat(64), importTokenId: 't-2' });
  await append(keyA, 'ImportParametersIssued.v1', { importTokenId: 't-3', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' });
  const second = (await writer.writeDigest())!;
  await append(keyB, 'KeyMaterialDeleted.v1', { keyMaterialId: 'b'.repeat(64) });
  return { store, signingKey, events: await store.readAll(), digests: [first, second] };
}

/** A log held in an array, to tamper with freely. Events are served in position order, as a store would. */
export function arrayLog(events: RecordedEvent[]): LogSource {
  const ordered = [...events].sort((a, b) => a.position - b.position);
  return {
    readAll: async ({ after = 0, maxCount = 1000 }: ReadAllOptions = {}) => ordered.filter((e) => e.position > after).slice(0, maxCount),
  };
}

/** A deep copy, so each test tampers with its own log. */
export const copyOf = (events: RecordedEvent[]): RecordedEvent[] => JSON.parse(JSON.stringify(events)) as RecordedEvent[];
