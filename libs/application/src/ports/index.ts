import type { KeyObject } from 'node:crypto';
import type { KeyState, RequestScope } from '@keyledger/domain';
export * from './audit-log';
export * from './usage-log';

/** Injection tokens for the ports the composition root binds. */
export const CLOCK = Symbol('Clock');
export const ID_GENERATOR = Symbol('IdGenerator');
export const EVENT_STORE = Symbol('EventStore');
export const MATERIAL_VAULT = Symbol('MaterialVault');
export const KEY_READ_MODEL = Symbol('KeyReadModel');
export const PROJECTION_PROGRESS = Symbol('ProjectionProgress');
export const WRAPPING_KEY_SOURCE = Symbol('WrappingKeySource');
export const IMPORT_TOKEN_SEALER = Symbol('ImportTokenSealer');

/** Time comes in through a port so decisions stay deterministic and tests can move the clock. */
export interface Clock {
  now(): number;
}

export interface IdGenerator {
  keyId(): string;
  uuid(): string;
}

/**
 * Where key material lives, sealed under the master key, outside the immutable log. Deleting a row is what
 * makes deleted or expired material unrecoverable (crypto-shredding); the log keeps only material ids.
 * `revision` is the stream revision of the event that imported (or removed) the material, so a late shred
 * never removes material that a later import brought back.
 */
export interface MaterialVault {
  /** The id of the master key `put` seals under (not secret): events record it. Absent for test doubles that do not seal. */
  readonly masterKeyId?: string;
  put(keyId: string, keyMaterialId: string, material: Buffer, revision: number): Promise<void>;
  get(keyId: string, keyMaterialId: string): Promise<Buffer | undefined>;
  /** Removes the material if it was stored by an event before `revision`. */
  shred(keyId: string, keyMaterialId: string, revision: number): Promise<void>;
  /** Every (key, material) the vault holds, for reconciliation with the log at start-up. */
  list(): Promise<Array<{ keyId: string; keyMaterialId: string; revision: number }>>;
  /**
   * The KeyObject of an asymmetric material's private key (`bytes`: its PKCS#8 DER, as `get` returned it), kept
   * with the cached material where the vault caches it. Optional: without it every use makes its own.
   */
  privateKeyOf?(keyId: string, keyMaterialId: string, bytes: Buffer): KeyObject;
}

export interface KeyListEntry {
  keyId: string;
  arn: string;
}

/** The read side: folded key state served from the projection, not from the streams. */
export interface KeyReadModel {
  findKey(scope: RequestScope, keyId: string): Promise<KeyState | undefined>;
  listKeys(scope: RequestScope, page: { limit: number; marker?: string }): Promise<{ keys: KeyListEntry[]; nextMarker?: string } | 'invalid-marker'>;
  /** Keys holding material whose ValidTo is at or before `now`. */
  keysWithMaterialDueForExpiry(now: number, limit: number): Promise<string[]>;
  /** Keys pending deletion whose DeletionDate is at or before `now`. */
  keysDueForDeletion(now: number, limit: number): Promise<string[]>;
  /** Keys with automatic rotation on whose next rotation is at or before `now`. */
  keysDueForRotation(now: number, limit: number): Promise<string[]>;
}

export const ALIAS_READ_MODEL = Symbol('AliasReadModel');

/** An alias as ListAliases shows it (times in epoch ms). */
export interface AliasEntry {
  aliasName: string;
  aliasArn: string;
  targetKeyId: string;
  creationDate: number;
  lastUpdatedDate: number;
}

/** The alias read model: ListAliases, and the aliases of a key (for the alias quota and key deletion). */
export interface AliasReadModel {
  listAliases(scope: RequestScope, page: { keyId?: string; limit: number; marker?: string }): Promise<{ aliases: AliasEntry[]; nextMarker?: string } | 'invalid-marker'>;
  aliasesOfKey(scope: RequestScope, keyId: string): Promise<AliasEntry[]>;
}

/** Lets a command wait until the read models include its own write (read-your-writes). */
export interface ProjectionProgress {
  waitForPosition(position: number, timeoutMs: number): Promise<boolean>;
}

/** Wrapping key pairs for GetParametersForImport (RSA generation is slow, so a pool may pre-generate them). */
export interface WrappingKeySource {
  take(spec: 'RSA_2048' | 'RSA_3072' | 'RSA_4096'): Promise<{ publicKeyDer: Buffer; privateKeyDer: Buffer }>;
}
