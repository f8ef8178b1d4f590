import { spawnSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalEncryptionContext } from '@keyledger/crypto';
import { expectKmsError, KmsFailure } from './kms-error-assertions';

/**
 * Independent checks for the cryptographic end-to-end tests: everything here is written against node:crypto and
 * the `openssl` CLI directly, never against Keyledger's own crypto library (except the documented canonical
 * encryption-context encoding, which is part of the ciphertext format the tests parse themselves).
 */

/** The errors AWS sends without a message (InvalidCiphertextException, ...): the SDK shows '' or 'UnknownError'. */
export const expectMessagelessKmsError = (call: Promise<unknown>, name: string): Promise<KmsFailure> =>
  expectKmsError(call, name, /^(|UnknownError)$/);

/** node:crypto curve names per KMS key spec. */
export const CURVES: Record<string, string> = {
  ECC_NIST_P256: 'prime256v1',
  ECC_NIST_P384: 'secp384r1',
  ECC_NIST_P521: 'secp521r1',
  ECC_SECG_P256K1: 'secp256k1',
};

/** DER SubjectPublicKeyInfo sizes (kms-operations-reference.md §2). */
export const SPKI_BYTES: Record<string, number> = {
  RSA_2048: 294,
  RSA_3072: 422,
  RSA_4096: 550,
  ECC_NIST_P256: 91,
  ECC_NIST_P384: 120,
  ECC_NIST_P521: 158,
  ECC_SECG_P256K1: 88,
  ECC_NIST_EDWARDS25519: 44,
};

/** Unencrypted PKCS#8 DER of a fresh key pair for a KMS key spec, plus its SPKI DER. */
export function localKeyPair(keySpec: string): { pkcs8: Buffer; spki: Buffer; privateKey: KeyObject; publicKey: KeyObject } {
  const pair = keySpec.startsWith('RSA_')
    ? generateKeyPairSync('rsa', { modulusLength: Number(keySpec.slice(4)) })
    : generateKeyPairSync('ec', { namedCurve: CURVES[keySpec] });
  return {
    pkcs8: pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
    spki: pair.publicKey.export({ format: 'der', type: 'spki' }),
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
  };
}

export const privateFromPkcs8 = (der: Uint8Array): KeyObject => createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
export const publicFromSpki = (der: Uint8Array): KeyObject => createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
/** The SPKI DER of a PKCS#8 private key, computed by node:crypto. */
export const spkiOfPkcs8 = (der: Uint8Array): Buffer => createPublicKey(privateFromPkcs8(der)).export({ format: 'der', type: 'spki' });
export const spkiPem = (der: Uint8Array): string => publicFromSpki(der).export({ format: 'pem', type: 'spki' }) as string;
export const pkcs8Pem = (der: Uint8Array): string => privateFromPkcs8(der).export({ format: 'pem', type: 'pkcs8' }) as string;

/** A scratch directory for files handed to openssl. */
export function scratchDir(): { dir: string; write(name: string, data: string | Uint8Array): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'keyledger-crypto-'));
  return {
    dir,
    write: (name, data) => {
      const path = join(dir, name);
      writeFileSync(path, typeof data === 'string' ? data : Buffer.from(data));
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs the openssl CLI; returns its exit status and output (stdout as bytes). */
export function openssl(args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const run = spawnSync('openssl', args, { maxBuffer: 16 * 1024 * 1024 });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr.toString() };
}

/** Like openssl(), but fails the test with openssl's stderr unless it exits 0. */
export function opensslOk(args: string[]): Buffer {
  const run = openssl(args);
  if (run.status !== 0) throw new Error(`openssl ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return run.stdout;
}

/** One DER TLV at `offset`: tag, content bounds, end; definite lengths only, minimal long form. */
function readTlv(der: Buffer, offset: number): { tag: number; start: number; end: number } {
  if (offset + 2 > der.length) throw new Error('DER: truncated');
  const tag = der[offset];
  let length = der[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 2) throw new Error('DER: unsupported length');
    length = 0;
    for (let i = 0; i < count; i++) length = (length << 8) | der[start + i];
    start += count;
    if (length < 0x80) throw new Error('DER: non-minimal length');
  }
  if (start + length > der.length) throw new Error('DER: length beyond the data');
  return { tag, start, end: start + length };
}

/** Parses an ECDSA signature strictly as DER SEQUENCE { INTEGER r, INTEGER s }, nothing after it; returns r and s. */
export function parseEcdsaDer(signature: Uint8Array): { r: bigint; s: bigint } {
  const der = Buffer.from(signature);
  const seq = readTlv(der, 0);
  if (seq.tag !== 0x30 || seq.end !== der.length) throw new Error('ECDSA signature: not one DER SEQUENCE');
  const ints: bigint[] = [];
  let offset = seq.start;
  while (offset < seq.end) {
    const int = readTlv(der, offset);
    if (int.tag !== 0x02 || int.end === int.start) throw new Error('ECDSA signature: member is not an INTEGER');
    const content = der.subarray(int.start, int.end);
    if (content[0] & 0x80) throw new Error('ECDSA signature: negative INTEGER');
    if (content.length > 1 && content[0] === 0 && !(content[1] & 0x80)) throw new Error('ECDSA signature: non-minimal INTEGER');
    ints.push(BigInt(`0x${content.toString('hex')}`));
    offset = int.end;
  }
  if (ints.length !== 2) throw new Error(`ECDSA signature: ${ints.length} INTEGERs, expected 2`);
  return { r: ints[0], s: ints[1] };
}

/**
 * Keyledger's SYMMETRIC_DEFAULT ciphertext format, parsed from its documentation (libs/crypto/src/symmetric-ciphertext.ts):
 * header = "KL" || 0x01 || key id length (1 byte) || key id (UTF-8) || key material id (32 raw bytes), then
 * nonce (12) || tag (16) || AES-256-GCM ciphertext; AAD = header || canonical encryption context.
 */
export interface ParsedKeyledgerBlob {
  header: Buffer;
  keyId: string;
  keyMaterialId: string;
  nonce: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

export function parseKeyledgerBlob(blob: Uint8Array): ParsedKeyledgerBlob {
  const bytes = Buffer.from(blob);
  if (bytes.subarray(0, 2).toString('latin1') !== 'KL') throw new Error('not a Keyledger blob: magic');
  if (bytes[2] !== 0x01) throw new Error(`unknown format version ${bytes[2]}`);
  const keyIdLength = bytes[3];
  const keyIdEnd = 4 + keyIdLength;
  const headerEnd = keyIdEnd + 32;
  if (bytes.length < headerEnd + 12 + 16) throw new Error('blob too short');
  return {
    header: bytes.subarray(0, headerEnd),
    keyId: bytes.subarray(4, keyIdEnd).toString('utf8'),
    keyMaterialId: bytes.subarray(keyIdEnd, headerEnd).toString('hex'),
    nonce: bytes.subarray(headerEnd, headerEnd + 12),
    tag: bytes.subarray(headerEnd + 12, headerEnd + 28),
    ciphertext: bytes.subarray(headerEnd + 28),
  };
}

/** Decrypts a Keyledger ciphertext with node:crypto's aes-256-gcm and the (known) key material; throws if it does not authenticate. */
export function decryptKeyledgerBlobLocally(blob: Uint8Array, material: Buffer, encryptionContext: Record<string, string> = {}): Buffer {
  const parsed = parseKeyledgerBlob(blob);
  const decipher = createDecipheriv('aes-256-gcm', material, parsed.nonce, { authTagLength: 16 });
  decipher.setAAD(Buffer.concat([parsed.header, canonicalEncryptionContext(encryptionContext)]));
  decipher.setAuthTag(parsed.tag);
  return Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]);
}

/** Builds a Keyledger ciphertext locally (the same documented format) for Keyledger to decrypt. */
export function encryptKeyledgerBlobLocally(input: {
  keyId: string;
  keyMaterialId: string;
  material: Buffer;
  plaintext: Buffer;
  encryptionContext?: Record<string, string>;
}): Buffer {
  const keyId = Buffer.from(input.keyId, 'utf8');
  const header = Buffer.concat([Buffer.from('KL', 'latin1'), Buffer.from([0x01, keyId.length]), keyId, Buffer.from(input.keyMaterialId, 'hex')]);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', input.material, nonce, { authTagLength: 16 });
  cipher.setAAD(Buffer.concat([header, canonicalEncryptionContext(input.encryptionContext ?? {})]));
  const body = Buffer.concat([cipher.update(input.plaintext), cipher.final()]);
  return Buffer.concat([header, nonce, cipher.getAuthTag(), body]);
}

/** A copy of `bytes` with one bit flipped at `index` (negative: from the end). */
export function flipBit(bytes: Uint8Array, index: number): Buffer {
  const copy = Buffer.from(bytes);
  const at = index < 0 ? copy.length + index : index;
  copy[at] ^= 0x01;
  return copy;
}
