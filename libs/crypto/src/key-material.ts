/** Plaintext key material per key spec (kms-api-reference.md §6.1, §11.3). */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { privateKeyObject, type PrivateKeyInput } from './private-key';
import { HMAC_MATERIAL_BYTES, KEY_SPECS, keyFamily, SYMMETRIC_MATERIAL_BYTES, type KeySpec } from '../../domain/src/key-spec';
import { ECC_CURVE, RSA_MODULUS_BITS, type EccKeySpec, type RsaKeySpec } from './curves';
import { isSingleDerSequence } from './der';

export type KeyMaterialCheck = { ok: true } | { ok: false; reason: string };

type HmacKeySpec = keyof typeof HMAC_MATERIAL_BYTES;

const KEY_MATERIAL_ID_HMAC_KEY = Buffer.from('keyledger:key-material-id:v1', 'utf8');

/** Whether `material` is acceptable plaintext material for `keySpec`. `reason` never contains material bytes. */
export function checkKeyMaterial(keySpec: KeySpec, material: Buffer): KeyMaterialCheck {
  // Untyped callers could pass e.g. 'SM2', which keyFamily would file under ECC.
  if (!(KEY_SPECS as readonly string[]).includes(keySpec)) return { ok: false, reason: 'The key spec is not supported for key material.' };
  switch (keyFamily(keySpec)) {
    case 'SYMMETRIC':
      return checkLength(keySpec, material, SYMMETRIC_MATERIAL_BYTES);
    case 'HMAC':
      return checkLength(keySpec, material, HMAC_MATERIAL_BYTES[keySpec as HmacKeySpec]);
    case 'RSA':
      return checkRsa(keySpec as RsaKeySpec, material);
    case 'ECC':
      return checkEcc(keySpec as EccKeySpec, material);
  }
}

/**
 * 64 lowercase hex chars, deterministic per (key, material) so re-imports map to the same id, different for the
 * same material in two keys, and (being a keyed hash) revealing nothing about the material.
 */
export function computeKeyMaterialId(keyId: string, material: Buffer): string {
  return createHmac('sha256', KEY_MATERIAL_ID_HMAC_KEY)
    .update(Buffer.from(keyId, 'utf8'))
    .update(Buffer.from([0x00]))
    .update(material)
    .digest('hex');
}

/** Fresh material for Origin=AWS_KMS keys, in the same format an import would carry. */
export function generateKeyMaterial(keySpec: KeySpec): Buffer {
  switch (keyFamily(keySpec)) {
    case 'SYMMETRIC':
      return randomBytes(SYMMETRIC_MATERIAL_BYTES);
    case 'HMAC':
      return randomBytes(HMAC_MATERIAL_BYTES[keySpec as HmacKeySpec]);
    case 'RSA':
      return generateKeyPairSync('rsa', {
        modulusLength: RSA_MODULUS_BITS[keySpec as RsaKeySpec],
        publicExponent: 0x10001,
      }).privateKey.export({ type: 'pkcs8', format: 'der' });
    case 'ECC':
      return generateKeyPairSync('ec', { namedCurve: ECC_CURVE[keySpec as EccKeySpec] }).privateKey.export({
        type: 'pkcs8',
        format: 'der',
      });
  }
}

/** DER SubjectPublicKeyInfo of the key pair whose private half is `privateKeyPkcs8Der` (GetPublicKey). */
export function publicKeyDerFromPrivate(privateKeyPkcs8Der: PrivateKeyInput): Buffer {
  return createPublicKey(privateKeyObject(privateKeyPkcs8Der)).export({ type: 'spki', format: 'der' });
}

function checkLength(keySpec: KeySpec, material: Buffer, expectedBytes: number): KeyMaterialCheck {
  if (material.length === expectedBytes) return { ok: true };
  return { ok: false, reason: `${keySpec} key material must be ${expectedBytes} bytes, got ${material.length}.` };
}

function checkRsa(keySpec: RsaKeySpec, material: Buffer): KeyMaterialCheck {
  const key = parsePkcs8(material);
  if (key === null || key.asymmetricKeyType !== 'rsa') return notA(keySpec);
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== RSA_MODULUS_BITS[keySpec]) {
    return { ok: false, reason: `${keySpec} key material must be a ${RSA_MODULUS_BITS[keySpec]}-bit RSA key, got ${bits ?? 'an unknown'}-bit.` };
  }
  return pairwiseConsistent(key) ? { ok: true } : inconsistent(keySpec);
}

function checkEcc(keySpec: EccKeySpec, material: Buffer): KeyMaterialCheck {
  const key = parsePkcs8(material);
  if (key === null || key.asymmetricKeyType !== 'ec') return notA(keySpec);
  // Keys with explicit curve parameters have no namedCurve and are rejected here too.
  if (key.asymmetricKeyDetails?.namedCurve !== ECC_CURVE[keySpec]) {
    return { ok: false, reason: `${keySpec} key material must be an EC key on curve ${ECC_CURVE[keySpec]}.` };
  }
  return pairwiseConsistent(key) ? { ok: true } : inconsistent(keySpec);
}

/** Unencrypted PKCS#8 DER only: PEM, PKCS#1/SEC1, encrypted PKCS#8 and trailing bytes all give null. */
function parsePkcs8(material: Buffer): KeyObject | null {
  if (!isSingleDerSequence(material)) return null;
  try {
    return createPrivateKey({ key: material, format: 'der', type: 'pkcs8' });
  } catch {
    return null;
  }
}

/**
 * Signs and verifies once: OpenSSL does not check on load that the private and public halves belong together,
 * and a key that fails here would produce signatures nobody can verify.
 */
function pairwiseConsistent(privateKey: KeyObject): boolean {
  const probe = Buffer.from('keyledger:pairwise-consistency-check');
  try {
    const signature = sign('sha256', probe, privateKey);
    return verify('sha256', probe, createPublicKey(privateKey), signature);
  } catch {
    return false;
  }
}

function notA(keySpec: KeySpec): KeyMaterialCheck {
  return { ok: false, reason: `Key material is not an ${keySpec} private key in unencrypted PKCS#8 DER.` };
}

function inconsistent(keySpec: KeySpec): KeyMaterialCheck {
  return { ok: false, reason: `${keySpec} key material is not a consistent key pair.` };
}
