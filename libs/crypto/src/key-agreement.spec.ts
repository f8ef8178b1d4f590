import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveSharedSecret } from './key-agreement';
import { generateKeyMaterial } from './key-material';

const CURVES: ['ECC_NIST_P256' | 'ECC_NIST_P384' | 'ECC_NIST_P521', string, number][] = [
  ['ECC_NIST_P256', 'prime256v1', 32],
  ['ECC_NIST_P384', 'secp384r1', 48],
  ['ECC_NIST_P521', 'secp521r1', 66],
];

let dir: string;
let fileCounter = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'keyledger-key-agreement-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function tempFile(data: Buffer | string): string {
  const path = join(dir, `f${fileCounter++}`);
  writeFileSync(path, data, { mode: 0o600 });
  return path;
}

function peerPair(namedCurve: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
  return { privateKey, publicKeyDer: publicKey.export({ type: 'spki', format: 'der' }) };
}

function secretOf(result: ReturnType<typeof deriveSharedSecret>): Buffer {
  if (!('secret' in result)) throw new Error(`expected a secret, got ${result.problem}`);
  return result.secret;
}

describe.each(CURVES)('deriveSharedSecret on %s', (keySpec, namedCurve, secretBytes) => {
  let privateKeyDer: Buffer;

  beforeAll(() => {
    privateKeyDer = generateKeyMaterial(keySpec);
  });

  it('equals `openssl pkeyutl -derive` and the peer-side node diffieHellman', () => {
    const peer = peerPair(namedCurve);
    const secret = secretOf(deriveSharedSecret({ privateKeyDer, peerPublicKeyDer: peer.publicKeyDer }));
    expect(secret.length).toBe(secretBytes);

    const oursPem = tempFile(createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }));
    const peerPem = tempFile(createPublicKey(peer.privateKey).export({ type: 'spki', format: 'pem' }));
    const fromOpenssl = execFileSync('openssl', ['pkeyutl', '-derive', '-inkey', oursPem, '-peerkey', peerPem], { stdio: 'pipe' });
    expect(secret.equals(fromOpenssl)).toBe(true);

    const ourPublicKey = createPublicKey(createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' }));
    expect(secret.equals(diffieHellman({ privateKey: peer.privateKey, publicKey: ourPublicKey }))).toBe(true);
  });

  it('differs per peer', () => {
    const a = secretOf(deriveSharedSecret({ privateKeyDer, peerPublicKeyDer: peerPair(namedCurve).publicKeyDer }));
    const b = secretOf(deriveSharedSecret({ privateKeyDer, peerPublicKeyDer: peerPair(namedCurve).publicKeyDer }));
    expect(a.equals(b)).toBe(false);
  });

  it("reports 'wrong-curve' for an EC public key on another curve", () => {
    for (const [, otherCurve] of CURVES.filter(([, curve]) => curve !== namedCurve)) {
      expect(deriveSharedSecret({ privateKeyDer, peerPublicKeyDer: peerPair(otherCurve).publicKeyDer })).toEqual({ problem: 'wrong-curve' });
    }
    expect(deriveSharedSecret({ privateKeyDer, peerPublicKeyDer: peerPair('secp256k1').publicKeyDer })).toEqual({ problem: 'wrong-curve' });
  });
});

describe('deriveSharedSecret with hostile public keys', () => {
  let privateKeyDer: Buffer;
  let peer: ReturnType<typeof peerPair>;

  beforeAll(() => {
    privateKeyDer = generateKeyMaterial('ECC_NIST_P256');
    peer = peerPair('prime256v1');
  });

  const unparsable = (peerPublicKeyDer: Buffer) => expect(deriveSharedSecret({ privateKeyDer, peerPublicKeyDer })).toEqual({ problem: 'unparsable' });

  it('accepts the untouched peer key (control for the cases below)', () => {
    expect(secretOf(deriveSharedSecret({ privateKeyDer, peerPublicKeyDer: peer.publicKeyDer })).length).toBe(32);
  });

  it("reports 'unparsable' for garbage, empty input, PEM text and other encodings", () => {
    unparsable(randomBytes(91));
    unparsable(Buffer.alloc(0));
    unparsable(Buffer.from([0x30, 0x00]));
    unparsable(Buffer.from(createPublicKey(peer.privateKey).export({ type: 'spki', format: 'pem' })));
    unparsable(peer.privateKey.export({ type: 'pkcs8', format: 'der' }));
    unparsable(Buffer.from(peer.publicKeyDer.toString('base64')));
  });

  it("reports 'unparsable' for trailing bytes and truncation", () => {
    unparsable(Buffer.concat([peer.publicKeyDer, Buffer.from([0x00])]));
    unparsable(peer.publicKeyDer.subarray(0, peer.publicKeyDer.length - 1));
  });

  it("reports 'unparsable' for a point that is not on the curve", () => {
    const offCurve = Buffer.from(peer.publicKeyDer);
    offCurve[offCurve.length - 1] ^= 0x01;
    unparsable(offCurve);
  });

  it("reports 'unparsable' for RSA and X25519 public keys", () => {
    unparsable(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' }));
    unparsable(generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'der' }));
  });
});
