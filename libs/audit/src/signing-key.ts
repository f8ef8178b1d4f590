import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFileOnce } from '@keyledger/crypto';
import { publicKeyFingerprint } from './log-digest';

/** Development signing key files, written into the data directory when no key is configured. */
export const DEV_SIGNING_KEY_FILE = 'audit-signing-key.pem';
export const DEV_PUBLIC_KEY_FILE = 'audit-signing-key.pub.pem';

export class AuditSigningKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditSigningKeyError';
  }
}

/** The Ed25519 key pair that signs digests. Only the public half is needed to verify them. */
export interface AuditSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SHA-256 (hex) of the public key's SPKI DER, as recorded in every digest. */
  fingerprint: string;
  /** The public key as PEM, for operators to keep next to their verification tooling. */
  publicKeyPem: string;
}

const PEM = /-----BEGIN [A-Z ]+-----/;

/**
 * Reads an Ed25519 private key given as PEM (`-----BEGIN PRIVATE KEY-----`) or as base64 of its PKCS#8 DER
 * (`openssl genpkey -algorithm ed25519 -outform DER | base64 -w0`).
 */
export function parseSigningKey(text: string): AuditSigningKey {
  let privateKey: KeyObject;
  try {
    const trimmed = text.trim();
    privateKey = PEM.test(trimmed)
      ? createPrivateKey({ key: trimmed, format: 'pem' })
      : createPrivateKey({ key: strictBase64(trimmed), format: 'der', type: 'pkcs8' });
  } catch {
    throw new AuditSigningKeyError('it is neither a PEM private key nor base64 of a PKCS#8 DER private key');
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new AuditSigningKeyError(`it is a ${privateKey.asymmetricKeyType ?? 'unknown'} key; digests are signed with Ed25519`);
  }
  return fromPrivateKey(privateKey);
}

/**
 * Reads a public key for verification: SPKI PEM, base64 of SPKI DER, or a private key (whose public half is
 * used). Must be Ed25519.
 */
export function parsePublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    if (/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(trimmed)) key = createPublicKey(createPrivateKey(trimmed));
    else if (PEM.test(trimmed)) key = createPublicKey({ key: trimmed, format: 'pem' });
    else key = createPublicKey({ key: strictBase64(trimmed), format: 'der', type: 'spki' });
  } catch {
    throw new AuditSigningKeyError('it is neither a PEM public key nor base64 of an SPKI DER public key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new AuditSigningKeyError(`it is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  return key;
}

export function generateSigningKey(): AuditSigningKey {
  return fromPrivateKey(generateKeyPairSync('ed25519').privateKey);
}

export const signingKeyToPem = (key: AuditSigningKey): string => key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

/**
 * A configured value naming a file: an absolute or ./-relative path. (Base64 of a PKCS#8 key starts with "MC",
 * PEM with dashes, so neither is mistaken for a path.)
 */
const isFilePath = (value: string): boolean => /^(\/|\.\.?\/)/.test(value.trim());

/**
 * The configured signing key (PEM, base64 PKCS#8 DER, or the path of a file holding either), or else the development key in the data directory (generated on first use, mode
 * 0600, with its public key beside it). A development key protects nothing against someone who can write the
 * data directory: `onDevelopmentKey` lets the caller warn about it.
 */
export function loadAuditSigningKey(
  configured: string | undefined,
  dataDir: string,
  onDevelopmentKey: (info: { file: string; publicKeyFile: string; generated: boolean; fingerprint: string }) => void,
): AuditSigningKey {
  if (configured !== undefined) {
    const fromFile = isFilePath(configured);
    try {
      return parseSigningKey(fromFile ? readFileSync(configured.trim(), 'utf8') : configured);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ? `the file cannot be read (${(error as NodeJS.ErrnoException).code})` : (error as Error).message;
      throw new AuditSigningKeyError(`KEYLEDGER_AUDIT_SIGNING_KEY is unusable${fromFile ? ` (${configured.trim()})` : ''}: ${reason}`);
    }
  }
  const file = join(dataDir, DEV_SIGNING_KEY_FILE);
  const publicKeyFile = join(dataDir, DEV_PUBLIC_KEY_FILE);
  if (existsSync(file)) {
    const key = readKeyFile(file);
    onDevelopmentKey({ file, publicKeyFile, generated: false, fingerprint: key.fingerprint });
    return key;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = generateSigningKey();
  if (!createFileOnce(file, signingKeyToPem(key), 0o600)) {
    // Another instance sharing the data directory generated it first: use theirs (never seen half written).
    const theirs = readKeyFile(file);
    onDevelopmentKey({ file, publicKeyFile, generated: false, fingerprint: theirs.fingerprint });
    return theirs;
  }
  writeFileSync(publicKeyFile, key.publicKeyPem, { mode: 0o644 });
  onDevelopmentKey({ file, publicKeyFile, generated: true, fingerprint: key.fingerprint });
  return key;
}

function readKeyFile(file: string): AuditSigningKey {
  try {
    return parseSigningKey(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new AuditSigningKeyError(`The development audit signing key ${file} is unusable: ${(error as Error).message}`);
  }
}

function fromPrivateKey(privateKey: KeyObject): AuditSigningKey {
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    fingerprint: publicKeyFingerprint(publicKey),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

function strictBase64(text: string): Buffer {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new TypeError('not base64');
  return Buffer.from(text, 'base64');
}
