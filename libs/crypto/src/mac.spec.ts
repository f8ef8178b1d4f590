import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyMaterial } from './key-material';
import { generateMac, verifyMac, type MacAlgorithm } from './mac';

const ALGORITHMS: [MacAlgorithm, 'HMAC_224' | 'HMAC_256' | 'HMAC_384' | 'HMAC_512', string, number][] = [
  ['HMAC_SHA_224', 'HMAC_224', 'SHA224', 28],
  ['HMAC_SHA_256', 'HMAC_256', 'SHA256', 32],
  ['HMAC_SHA_384', 'HMAC_384', 'SHA384', 48],
  ['HMAC_SHA_512', 'HMAC_512', 'SHA512', 64],
];

/** RFC 4231 §4.3, test case 2: key "Jefe", data "what do ya want for nothing?". */
const RFC_4231_CASE_2: Record<MacAlgorithm, string> = {
  HMAC_SHA_224: 'a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44',
  HMAC_SHA_256: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  HMAC_SHA_384: 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
  HMAC_SHA_512:
    '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
};

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'keyledger-mac-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function opensslHmac(digest: string, material: Buffer, message: Buffer): Buffer {
  const messageFile = join(dir, 'message');
  writeFileSync(messageFile, message);
  const out = execFileSync('openssl', ['mac', '-digest', digest, '-macopt', `hexkey:${material.toString('hex')}`, '-in', messageFile, 'HMAC'], {
    stdio: 'pipe',
  });
  return Buffer.from(out.toString().trim(), 'hex');
}

describe.each(ALGORITHMS)('%s', (algorithm, keySpec, opensslDigest, macBytes) => {
  let material: Buffer;
  const message = Buffer.from('Keyledger GenerateMac test message');

  beforeAll(() => {
    material = generateKeyMaterial(keySpec);
  });

  it('equals `openssl mac ... HMAC` for the key spec material and for random messages', () => {
    for (const m of [message, randomBytes(1000), Buffer.alloc(0)]) {
      const mac = generateMac({ material, algorithm, message: m });
      expect(mac.length).toBe(macBytes);
      expect(mac.equals(opensslHmac(opensslDigest, material, m))).toBe(true);
    }
  });

  it('equals RFC 4231 test case 2', () => {
    const mac = generateMac({ material: Buffer.from('Jefe'), algorithm, message: Buffer.from('what do ya want for nothing?') });
    expect(mac.toString('hex')).toBe(RFC_4231_CASE_2[algorithm]);
  });

  it('verifies its own MAC and rejects a wrong, short, long or empty MAC', () => {
    const mac = generateMac({ material, algorithm, message });
    const check = (candidate: Buffer, overrides: { message?: Buffer; material?: Buffer } = {}) =>
      verifyMac({ material, algorithm, message, mac: candidate, ...overrides });
    expect(check(mac)).toBe(true);
    for (const index of [0, macBytes - 1]) {
      const wrong = Buffer.from(mac);
      wrong[index] ^= 0x01;
      expect(check(wrong)).toBe(false);
    }
    expect(check(mac.subarray(0, 16))).toBe(false);
    expect(check(mac.subarray(0, macBytes - 1))).toBe(false);
    expect(check(Buffer.concat([mac, Buffer.from([0x00])]))).toBe(false);
    expect(check(Buffer.alloc(0))).toBe(false);
    expect(check(randomBytes(macBytes))).toBe(false);
    expect(check(mac, { message: Buffer.from('Keyledger GenerateMac test messagE') })).toBe(false);
    expect(check(mac, { material: generateKeyMaterial(keySpec) })).toBe(false);
  });

  it('rejects the MAC of another algorithm over the same key and message', () => {
    for (const [other] of ALGORITHMS.filter(([a]) => a !== algorithm)) {
      const otherMac = generateMac({ material, algorithm: other, message });
      expect(verifyMac({ material, algorithm, message, mac: otherMac })).toBe(false);
      // Truncated to this algorithm's length it is still a different value.
      expect(verifyMac({ material, algorithm, message, mac: Buffer.concat([otherMac, Buffer.alloc(64)]).subarray(0, macBytes) })).toBe(false);
    }
  });
});
