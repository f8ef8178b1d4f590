/**
 * The asymmetric key specs this service generates and signs with, and what they mean to OpenSSL: one table for
 * RSA modulus sizes and one for EC curves, shared by key material, data key pairs and ECDSA signing.
 */

export type RsaKeySpec = 'RSA_2048' | 'RSA_3072' | 'RSA_4096';
export type EccKeySpec = 'ECC_NIST_P256' | 'ECC_NIST_P384' | 'ECC_NIST_P521' | 'ECC_SECG_P256K1';

export const RSA_MODULUS_BITS: Readonly<Record<RsaKeySpec, number>> = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 };

/** OpenSSL curve names, as node reports them in asymmetricKeyDetails.namedCurve. */
export const ECC_CURVE: Readonly<Record<EccKeySpec, string>> = {
  ECC_NIST_P256: 'prime256v1',
  ECC_NIST_P384: 'secp384r1',
  ECC_NIST_P521: 'secp521r1',
  ECC_SECG_P256K1: 'secp256k1',
};

// Object.hasOwn, not `in`: untyped callers may pass 'toString' and the like.

export function isRsaKeySpec(spec: string): spec is RsaKeySpec {
  return Object.hasOwn(RSA_MODULUS_BITS, spec);
}

export function isEccKeySpec(spec: string): spec is EccKeySpec {
  return Object.hasOwn(ECC_CURVE, spec);
}

/** The key spec of an OpenSSL curve name (asymmetricKeyDetails.namedCurve), or undefined for any other curve. */
export function eccKeySpecOfCurve(namedCurve: string | undefined): EccKeySpec | undefined {
  return (Object.keys(ECC_CURVE) as EccKeySpec[]).find((spec) => ECC_CURVE[spec] === namedCurve);
}
