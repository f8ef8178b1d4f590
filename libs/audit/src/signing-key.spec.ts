import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditSigningKeyError, DEV_PUBLIC_KEY_FILE, DEV_SIGNING_KEY_FILE, generateSigningKey, loadAuditSigningKey, parsePublicKey, parseSigningKey, signingKeyToPem } from './signing-key';

describe('audit signing keys', () => {
  const key = generateSigningKey();
  const der = key.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');

  it('reads an Ed25519 private key as PEM or as base64 PKCS#8 DER', () => {
    expect(parseSigningKey(signingKeyToPem(key)).fingerprint).toBe(key.fingerprint);
    expect(parseSigningKey(der).fingerprint).toBe(key.fingerprint);
    expect(key.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses other key types and garbage, without echoing the value', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => parseSigningKey(rsa)).toThrow(/rsa key/);
    for (const bad of ['', 'not a key', 'AAAA', der.slice(0, 20)]) {
      expect(() => parseSigningKey(bad)).toThrow(AuditSigningKeyError);
    }
    try {
      parseSigningKey(der.slice(0, 30));
    } catch (error) {
      expect((error as Error).message).not.toContain(der.slice(0, 30));
    }
  });

  it('reads public keys for verification as PEM, base64 SPKI DER, or from the private key', () => {
    const spki = key.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    for (const text of [key.publicKeyPem, spki, signingKeyToPem(key)]) {
      expect(parsePublicKey(text).export({ format: 'der', type: 'spki' }).toString('base64')).toBe(spki);
    }
    expect(() => parsePublicKey('nope')).toThrow(AuditSigningKeyError);
  });

  it('uses the configured key (inline or a file), or generates a development key once (0600, public key beside it) and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyledger-signing-'));
    try {
      const told: Array<{ generated: boolean }> = [];
      expect(loadAuditSigningKey(der, dir, (info) => told.push(info)).fingerprint).toBe(key.fingerprint);
      expect(told).toEqual([]);
      expect(() => loadAuditSigningKey('garbage', dir, () => undefined)).toThrow(/KEYLEDGER_AUDIT_SIGNING_KEY is unusable/);
      const file = join(dir, 'configured.pem');
      writeFileSync(file, signingKeyToPem(key));
      expect(loadAuditSigningKey(file, dir, () => undefined).fingerprint).toBe(key.fingerprint);
      expect(() => loadAuditSigningKey(join(dir, 'missing.pem'), dir, () => undefined)).toThrow(/the file cannot be read \(ENOENT\)/);

      const generated = loadAuditSigningKey(undefined, dir, (info) => told.push(info));
      expect(statSync(join(dir, DEV_SIGNING_KEY_FILE)).mode & 0o777).toBe(0o600);
      expect(parsePublicKey(readFileSync(join(dir, DEV_PUBLIC_KEY_FILE), 'utf8')).equals(generated.publicKey)).toBe(true);
      const reused = loadAuditSigningKey(undefined, dir, (info) => told.push(info));
      expect(reused.fingerprint).toBe(generated.fingerprint);
      expect(told.map((t) => t.generated)).toEqual([true, false]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
