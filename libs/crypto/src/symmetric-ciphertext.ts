/**
 * Ciphertext blobs for Encrypt/Decrypt with SYMMETRIC_DEFAULT keys (kms-api-reference.md §12).
 * Blob = header || nonce (12) || tag (16) || AES-256-GCM ciphertext, where
 * header = magic "KL" || version (1) || key id length (1) || key id (utf8) || key material id (32 raw bytes).
 * The header is in clear so Decrypt can find the key and the (possibly non-current) material without a KeyId;
 * it is part of the AAD together with the canonical encryption context, so neither can be changed.
 */
import { gcmOpen, gcmPartsToBuffer, gcmSeal, readGcmParts, type GcmSealed } from './aes-gcm';
import { canonicalEncryptionContext } from './encryption-context';

const MAGIC = Buffer.from('KL', 'ascii');
const FORMAT_VERSION = 0x01;
const MAX_KEY_ID_BYTES = 255;
const KEY_MATERIAL_ID_BYTES = 32;
const SYMMETRIC_MATERIAL_BYTES = 32;
const KEY_MATERIAL_ID_PATTERN = /^[0-9a-f]{64}$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export interface CiphertextHeader {
  keyId: string;
  keyMaterialId: string;
}

/** A blob split into its header and AES-GCM parts (views into the blob, nothing copied). */
export interface ParsedCiphertext extends CiphertextHeader, GcmSealed {
  /** The header's bytes, authenticated as part of the AAD. */
  header: Buffer;
}

export function encryptWithKeyMaterial(input: {
  keyId: string;
  keyMaterialId: string;
  material: Buffer;
  plaintext: Buffer;
  encryptionContext: Record<string, string>;
}): Buffer {
  if (input.material.length !== SYMMETRIC_MATERIAL_BYTES) {
    throw new RangeError(`Symmetric key material must be ${SYMMETRIC_MATERIAL_BYTES} bytes.`);
  }
  const header = encodeHeader(input.keyId, input.keyMaterialId);
  const sealed = gcmSeal(input.material, input.plaintext, additionalData(header, input.encryptionContext));
  return gcmPartsToBuffer(sealed, header);
}

/** Null on any failure: not our format, wrong material, wrong encryption context, any modified byte. */
export function decryptWithKeyMaterial(input: {
  ciphertext: Buffer;
  material: Buffer;
  encryptionContext: Record<string, string>;
}): Buffer | null {
  const parsed = parseCiphertext(input.ciphertext);
  return parsed === null ? null : openCiphertext(parsed, input.material, input.encryptionContext);
}

/**
 * Opens a blob already parsed (Decrypt reads the header first to find the key, then opens the same parse).
 * Null on wrong material, wrong encryption context or any modified byte.
 */
export function openCiphertext(parsed: ParsedCiphertext, material: Buffer, encryptionContext: Record<string, string>): Buffer | null {
  if (material.length !== SYMMETRIC_MATERIAL_BYTES) return null;
  return gcmOpen(material, parsed, additionalData(parsed.header, encryptionContext));
}

function encodeHeader(keyId: string, keyMaterialId: string): Buffer {
  const keyIdBytes = Buffer.from(keyId, 'utf8');
  if (keyIdBytes.length === 0 || keyIdBytes.length > MAX_KEY_ID_BYTES) {
    throw new RangeError(`Key id must be 1 to ${MAX_KEY_ID_BYTES} bytes of UTF-8.`);
  }
  if (!KEY_MATERIAL_ID_PATTERN.test(keyMaterialId)) throw new RangeError('Key material id must be 64 lowercase hex chars.');
  return Buffer.concat([
    MAGIC,
    Buffer.from([FORMAT_VERSION, keyIdBytes.length]),
    keyIdBytes,
    Buffer.from(keyMaterialId, 'hex'),
  ]);
}

/** The blob's header and AES-GCM parts, or null if it is not a blob in this format. */
export function parseCiphertext(blob: Buffer): ParsedCiphertext | null {
  const keyIdStart = MAGIC.length + 2;
  if (blob.length < keyIdStart || MAGIC.compare(blob, 0, MAGIC.length) !== 0 || blob[MAGIC.length] !== FORMAT_VERSION) {
    return null;
  }
  const keyIdEnd = keyIdStart + blob[MAGIC.length + 1];
  const headerBytes = keyIdEnd + KEY_MATERIAL_ID_BYTES;
  const gcmParts = readGcmParts(blob, headerBytes);
  if (keyIdEnd === keyIdStart || gcmParts === null) return null;
  let keyId: string;
  try {
    keyId = strictUtf8.decode(blob.subarray(keyIdStart, keyIdEnd));
  } catch {
    return null;
  }
  const keyMaterialId = blob.toString('hex', keyIdEnd, headerBytes);
  return { keyId, keyMaterialId, header: blob.subarray(0, headerBytes), ...gcmParts };
}

function additionalData(header: Buffer, encryptionContext: Record<string, string>): Buffer {
  return Buffer.concat([header, canonicalEncryptionContext(encryptionContext)]);
}
