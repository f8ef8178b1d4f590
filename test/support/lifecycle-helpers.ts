import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateKeyCommand,
  CreateKeyCommandInput,
  KeyMetadata,
  KMSClient,
  ListAliasesCommand,
  ListAliasesCommandOutput,
  ListKeysCommand,
} from '@aws-sdk/client-kms';
import { eventually, readEventLog } from './event-log';
import type { RunningKeyledger } from './keyledger-harness';
import { expectKmsError, KmsFailure } from './kms-error-assertions';
import { restCall, sigV4 } from './rest-client';

/** Shared by the lifecycle, alias, key-state-walk and restart end-to-end tests. */

export const ACCOUNT = '000000000000';
export const REGION = 'us-east-1';
export const MINUTE = 60 * 1000;
export const DAY = 24 * 60 * MINUTE;

export const keyArnOf = (keyId: string, account = ACCOUNT): string => `arn:aws:kms:${REGION}:${account}:key/${keyId}`;
export const aliasArnOf = (aliasName: string, account = ACCOUNT): string => `arn:aws:kms:${REGION}:${account}:${aliasName}`;

/** A name no other test (or earlier run against the same directory) uses. */
let counter = 0;
export const uniqueAlias = (label: string): string => `alias/${label}-${process.pid}-${Date.now().toString(36)}-${++counter}`;

export async function createKey(kms: KMSClient, input: Partial<CreateKeyCommandInput> = {}): Promise<KeyMetadata> {
  return (await kms.send(new CreateKeyCommand(input as CreateKeyCommandInput))).KeyMetadata!;
}

/** Errors AWS sends without a message: the SDK shows '' or 'UnknownError'. */
export const expectMessagelessError = (call: Promise<unknown>, name: string): Promise<KmsFailure> => expectKmsError(call, name, /^(|UnknownError)$/);

/** Within `toleranceMs` of `expectedMs` (service timestamps travel as epoch seconds with milliseconds). */
export function expectNear(actual: Date | undefined, expectedMs: number, toleranceMs = 5000): void {
  expect(actual).toBeInstanceOf(Date);
  const delta = Math.abs(actual!.getTime() - expectedMs);
  if (delta > toleranceMs) throw new Error(`expected ${new Date(expectedMs).toISOString()} ± ${toleranceMs} ms, got ${actual!.toISOString()}`);
}

export const keyStreamId = (keyId: string): string => `kms-key-${keyId}`;

/** The event types of a key's stream, read from the log file. */
export const streamTypes = (kl: RunningKeyledger, keyId: string): string[] => readEventLog(kl.dataDir, keyStreamId(keyId)).map((e) => e.type);

/** Waits until the maintenance job has recorded the key's deletion (the job runs every 100 ms in tests). */
export async function waitForDeletion(kl: RunningKeyledger, keyId: string): Promise<void> {
  await eventually(() => streamTypes(kl, keyId), (types) => types.includes('KeyDeleted.v1'), 15000);
}

/** Every alias of the caller's account (all pages). */
export async function allAliases(kms: KMSClient, keyId?: string): Promise<NonNullable<ListAliasesCommandOutput['Aliases']>> {
  const aliases: NonNullable<ListAliasesCommandOutput['Aliases']> = [];
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListAliasesCommand({ KeyId: keyId, Marker: marker, Limit: 100 }));
    aliases.push(...(page.Aliases ?? []));
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return aliases;
}

/** Every key id ListKeys shows the caller (all pages). */
export async function allKeyIds(kms: KMSClient): Promise<string[]> {
  const ids: string[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListKeysCommand({ Marker: marker, Limit: 1000 }));
    ids.push(...(page.Keys ?? []).map((k) => k.KeyId!));
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return ids;
}

/** Rows the material vault (vault.sqlite, read-only) holds for a key. */
export function vaultRowsOf(dataDir: string, keyId: string): Array<{ key_material_id: string }> {
  const file = join(dataDir, 'vault.sqlite');
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT key_material_id FROM sealed_materials WHERE key_id = ?').all(keyId) as Array<{ key_material_id: string }>;
  } finally {
    db.close();
  }
}

/** GET /v1/keys/{id}/events with the Authorization header shape the AWS SDK sends (only its scope is read). */
export async function keyHistory(kl: RunningKeyledger, keyId: string, accessKeyId = 'test') {
  return restCall(kl.url, 'GET', `/v1/keys/${keyId}/events?limit=1000`, { headers: sigV4(accessKeyId) });
}

/**
 * A symmetric ciphertext that names another key: Keyledger's blob carries the key id in clear in its header
 * (same length for every UUID), so rewriting it gives a blob that names `toKeyId` (and fails authentication if
 * it ever got that far). Used where a key cannot have produced a ciphertext itself (no material yet), so that
 * Decrypt reaches the key's state.
 */
export function ciphertextNaming(ciphertext: Uint8Array, fromKeyId: string, toKeyId: string): Uint8Array {
  const bytes = Buffer.from(ciphertext);
  const at = bytes.indexOf(Buffer.from(fromKeyId, 'utf8'));
  if (at < 0 || fromKeyId.length !== toKeyId.length) throw new Error('ciphertext does not name the key');
  Buffer.from(toKeyId, 'utf8').copy(bytes, at);
  return bytes;
}

/** What a call answered, as one comparable string: 'OK' or '<ErrorName>: <message>'. */
export async function outcomeOf(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'OK';
  } catch (error) {
    const e = error as KmsFailure;
    const message = e.message === 'UnknownError' ? '' : e.message;
    return `${e.name}: ${message}`;
  }
}
