/**
 * Key material at rest: AES-256-GCM under a key derived from the master key.
 * Blob = version (1) || master key id (8) || nonce (12) || tag (16) || ciphertext.
 * The header and the caller's context are the AAD, so a blob only opens for the key/material it was sealed for.
 */
import { gcmOpen, gcmPartsToBuffer, gcmSeal, readGcmParts } from './aes-gcm';
import { toMasterKeyRing, type MasterKey, type MasterKeyRing } from './master-key';

const FORMAT_VERSION = 0x01;
const MASTER_KEY_ID_BYTES = 8;
const HEADER_BYTES = 1 + MASTER_KEY_ID_BYTES;
const DERIVATION_PURPOSE = 'material-at-rest/v1';

export class SealedMaterialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedMaterialError';
  }
}

/** The id of the master key a blob was sealed under (for rotation), or null if the blob is not ours. */
export function sealedMaterialMasterKeyId(sealed: Buffer): string | null {
  if (sealed.length < HEADER_BYTES || sealed[0] !== FORMAT_VERSION) return null;
  return sealed.subarray(1, HEADER_BYTES).toString('hex');
}

/**
 * Seals under the current master key; opens blobs sealed under the current key or any previous key of the ring
 * (chosen by the id in the blob header), so material stays usable while a master key rotation re-seals it.
 */
export class MaterialSealer {
  readonly #key: Buffer;
  readonly #masterKeyId: string;
  readonly #header: Buffer;
  /** Opening keys by master key id: the current key and every previous one. */
  readonly #openingKeys = new Map<string, Buffer>();

  constructor(masterKeys: MasterKey | MasterKeyRing) {
    const ring = toMasterKeyRing(masterKeys);
    this.#key = ring.current.deriveKey(DERIVATION_PURPOSE);
    this.#masterKeyId = ring.current.id;
    this.#header = Buffer.concat([Buffer.from([FORMAT_VERSION]), Buffer.from(ring.current.id, 'hex')]);
    this.#openingKeys.set(ring.current.id, this.#key);
    for (const key of ring.previous) this.#openingKeys.set(key.id, key.deriveKey(DERIVATION_PURPOSE));
  }

  /** The id of the master key this sealer seals under. */
  get masterKeyId(): string {
    return this.#masterKeyId;
  }

  /** The ids of the previous master keys this sealer still opens (but never seals under). */
  get previousMasterKeyIds(): string[] {
    return [...this.#openingKeys.keys()].filter((id) => id !== this.#masterKeyId);
  }

  /** Whether this sealer can open blobs sealed under the master key `id` (the current or a previous one). */
  opens(masterKeyId: string | null): boolean {
    return masterKeyId !== null && this.#openingKeys.has(masterKeyId);
  }

  /** `context` names what the plaintext belongs to (e.g. key id and key material id); open needs the same. */
  seal(plaintext: Buffer, context: string): Buffer {
    const sealed = gcmSeal(this.#key, plaintext, this.aad(this.#header, context));
    return gcmPartsToBuffer(sealed, this.#header);
  }

  /** Throws SealedMaterialError if the blob is malformed, from another master key, modified, or for another context. */
  open(sealed: Buffer, context: string): Buffer {
    const parts = readGcmParts(sealed, HEADER_BYTES);
    if (parts === null) throw new SealedMaterialError('Sealed material is truncated.');
    if (sealed[0] !== FORMAT_VERSION) throw new SealedMaterialError(`Sealed material has unknown format version ${sealed[0]}.`);
    const blobMasterKeyId = sealedMaterialMasterKeyId(sealed);
    const key = blobMasterKeyId === null ? undefined : this.#openingKeys.get(blobMasterKeyId);
    if (key === undefined) {
      throw new SealedMaterialError(
        `Sealed material was sealed under master key ${blobMasterKeyId}, not the configured master key ${this.#masterKeyId}${this.previousMasterKeyIds.length > 0 ? ` or a previous one (${this.previousMasterKeyIds.join(', ')})` : ''}.`,
      );
    }
    const plaintext = gcmOpen(key, parts, this.aad(sealed.subarray(0, HEADER_BYTES), context));
    if (plaintext === null) {
      throw new SealedMaterialError('Sealed material failed authentication: it was modified or belongs to another context.');
    }
    return plaintext;
  }

  // The header has a fixed length, so header || context is unambiguous.
  private aad(header: Buffer, context: string): Buffer {
    return Buffer.concat([header, Buffer.from(context, 'utf8')]);
  }
}
