/**
 * KMS vocabulary: key specs, usages and algorithms, and which combinations are valid.
 * Plain data only; the reference for every table is ../shared/docs/kms-api-reference.md §3, §5.1.
 */

export const KEY_SPECS = [
  'SYMMETRIC_DEFAULT',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'HMAC_224',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
] as const;
export type KeySpec = (typeof KEY_SPECS)[number];

/** Key specs in AWS's enum that this service recognises but cannot create (clear error, not a 500). */
export const UNSUPPORTED_KEY_SPECS = ['SM2', 'ML_DSA_44', 'ML_DSA_65', 'ML_DSA_87', 'ECC_NIST_EDWARDS25519'] as const;

export const KEY_USAGES = ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'] as const;
export type KeyUsage = (typeof KEY_USAGES)[number];

export const ORIGINS = ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const;
export type Origin = (typeof ORIGINS)[number];
/** Origins this service can create keys with. */
export type SupportedOrigin = 'AWS_KMS' | 'EXTERNAL';

export const WRAPPING_ALGORITHMS = [
  'RSAES_PKCS1_V1_5',
  'RSAES_OAEP_SHA_1',
  'RSAES_OAEP_SHA_256',
  'RSA_AES_KEY_WRAP_SHA_1',
  'RSA_AES_KEY_WRAP_SHA_256',
  'SM2PKE',
] as const;
export type WrappingAlgorithmName = (typeof WRAPPING_ALGORITHMS)[number];
/** The wrapping algorithms this service implements. */
export type WrappingAlgorithm = 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256' | 'RSA_AES_KEY_WRAP_SHA_1' | 'RSA_AES_KEY_WRAP_SHA_256';

export const WRAPPING_KEY_SPECS = ['RSA_2048', 'RSA_3072', 'RSA_4096', 'SM2'] as const;
export type WrappingKeySpecName = (typeof WRAPPING_KEY_SPECS)[number];
/** The wrapping key specs this service implements (SM2 is China Regions only). */
export const IMPLEMENTED_WRAPPING_KEY_SPECS = ['RSA_2048', 'RSA_3072', 'RSA_4096'] as const;
export type WrappingKeySpec = (typeof IMPLEMENTED_WRAPPING_KEY_SPECS)[number];

/** The AWS model's request enums, in the model's order (its order shows in validation messages). */
export const ENCRYPTION_ALGORITHMS = ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'] as const;
export const SIGNING_ALGORITHMS = [
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'ECDSA_SHA_256',
  'ECDSA_SHA_384',
  'ECDSA_SHA_512',
  'SM2DSA',
  'ML_DSA_SHAKE_256',
  'ED25519_SHA_512',
  'ED25519_PH_SHA_512',
] as const;
export const MESSAGE_TYPES = ['RAW', 'DIGEST', 'EXTERNAL_MU'] as const;
/** The order AWS lists them in its validation message (SNAP test_invalid_generate_mac). */
export const MAC_ALGORITHMS = ['HMAC_SHA_384', 'HMAC_SHA_256', 'HMAC_SHA_224', 'HMAC_SHA_512'] as const;
export const KEY_AGREEMENT_ALGORITHMS = ['ECDH'] as const;

export const EXPIRATION_MODELS = ['KEY_MATERIAL_EXPIRES', 'KEY_MATERIAL_DOES_NOT_EXPIRE'] as const;
export type ExpirationModel = (typeof EXPIRATION_MODELS)[number];

export const IMPORT_TYPES = ['NEW_KEY_MATERIAL', 'EXISTING_KEY_MATERIAL'] as const;
export type ImportType = (typeof IMPORT_TYPES)[number];

export type KeyFamily = 'SYMMETRIC' | 'HMAC' | 'RSA' | 'ECC';

export function keyFamily(spec: KeySpec): KeyFamily {
  if (spec === 'SYMMETRIC_DEFAULT') return 'SYMMETRIC';
  if (spec.startsWith('HMAC_')) return 'HMAC';
  if (spec.startsWith('RSA_')) return 'RSA';
  return 'ECC';
}

/** Usages each key spec may be created with (§3). The first entry is the default where one exists. */
export const USAGES_BY_FAMILY: Record<KeyFamily, readonly KeyUsage[]> = {
  SYMMETRIC: ['ENCRYPT_DECRYPT'],
  HMAC: ['GENERATE_VERIFY_MAC'],
  RSA: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  ECC: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
};

export function allowedUsages(spec: KeySpec): readonly KeyUsage[] {
  // secp256k1 is a signing-only curve in KMS.
  if (spec === 'ECC_SECG_P256K1') return ['SIGN_VERIFY'];
  return USAGES_BY_FAMILY[keyFamily(spec)];
}

export interface KeyAlgorithms {
  EncryptionAlgorithms?: string[];
  SigningAlgorithms?: string[];
  MacAlgorithms?: string[];
  KeyAgreementAlgorithms?: string[];
}

const RSA_SIGNING = [
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
];

/** The algorithm list DescribeKey shows for a spec/usage pair (exactly one list, §4). */
export function algorithmsFor(spec: KeySpec, usage: KeyUsage): KeyAlgorithms {
  switch (keyFamily(spec)) {
    case 'SYMMETRIC':
      return { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] };
    case 'HMAC':
      return { MacAlgorithms: [`HMAC_SHA_${spec.slice('HMAC_'.length)}`] };
    case 'RSA':
      return usage === 'ENCRYPT_DECRYPT'
        ? { EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] }
        : { SigningAlgorithms: [...RSA_SIGNING] };
    case 'ECC': {
      if (usage === 'KEY_AGREEMENT') return { KeyAgreementAlgorithms: ['ECDH'] };
      const hash = spec === 'ECC_NIST_P384' ? '384' : spec === 'ECC_NIST_P521' ? '512' : '256';
      return { SigningAlgorithms: [`ECDSA_SHA_${hash}`] };
    }
  }
}

/**
 * Wrapping algorithms allowed for each kind of key material (§5.1, DG25 "Select a wrapping algorithm").
 * Choice recorded here: RSA_AES_* is accepted for symmetric and HMAC material too (AWS's own encrypt page shows
 * it for them; whether AWS rejects it is UNCONFIRMED), because a client that can do the stronger wrap should not
 * be refused.
 */
export const WRAPPING_ALGORITHMS_BY_FAMILY: Record<KeyFamily, readonly WrappingAlgorithm[]> = {
  SYMMETRIC: ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1'],
  HMAC: ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1'],
  RSA: ['RSA_AES_KEY_WRAP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1'],
  ECC: ['RSA_AES_KEY_WRAP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1', 'RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1'],
};

export function isImplementedWrappingAlgorithm(name: string): name is WrappingAlgorithm {
  return ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256'].includes(name);
}

export function isImplementedWrappingKeySpec(name: string): name is WrappingKeySpec {
  return (IMPLEMENTED_WRAPPING_KEY_SPECS as readonly string[]).includes(name);
}

/** Expected plaintext material per key spec (§6.1), for messages and checks. */
export const HMAC_MATERIAL_BYTES: Record<'HMAC_224' | 'HMAC_256' | 'HMAC_384' | 'HMAC_512', number> = {
  HMAC_224: 28,
  HMAC_256: 32,
  HMAC_384: 48,
  HMAC_512: 64,
};
export const SYMMETRIC_MATERIAL_BYTES = 32;
