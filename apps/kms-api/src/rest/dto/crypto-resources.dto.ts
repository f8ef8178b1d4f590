import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Results of the cryptographic operations: camelCase, binary values as base64, the key by id and ARN. */

const KEY_ID = { example: '1234abcd-12ab-34cd-56ef-1234567890ab' };
const KEY_ARN = { example: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' };
const KEY_MATERIAL_ID = { description: 'The key material used (symmetric keys).', example: 'a5e0c4e1ad2f86de1c6ac1e1ed8b5e48c4b3c06b1c5f0a2e1d4f3c2b1a0f9e8d' };

/** The key that did the work. */
export class UsedKeyResource {
  @ApiProperty(KEY_ID) keyId: string;
  @ApiProperty(KEY_ARN) keyArn: string;
}

export class EncryptedResource extends UsedKeyResource {
  @ApiProperty({ format: 'byte', description: 'The ciphertext (base64); decrypt it with the same key, encryption context and algorithm.' }) ciphertext: string;
  @ApiProperty({ example: 'SYMMETRIC_DEFAULT' }) encryptionAlgorithm: string;
}

export class DecryptedResource extends UsedKeyResource {
  @ApiProperty({ format: 'byte', description: 'The plaintext (base64).' }) plaintext: string;
  @ApiProperty({ example: 'SYMMETRIC_DEFAULT' }) encryptionAlgorithm: string;
  @ApiPropertyOptional({ ...KEY_MATERIAL_ID, description: 'The key material the ciphertext was made under (symmetric keys).' }) keyMaterialId?: string;
}

export class ReEncryptedResource {
  @ApiProperty({ format: 'byte', description: 'The new ciphertext, under the destination key (base64).' }) ciphertext: string;
  @ApiProperty({ ...KEY_ID, description: 'The key in the path, which decrypted the ciphertext.' }) sourceKeyId: string;
  @ApiProperty(KEY_ARN) sourceKeyArn: string;
  @ApiProperty({ example: 'SYMMETRIC_DEFAULT' }) sourceEncryptionAlgorithm: string;
  @ApiPropertyOptional({ ...KEY_MATERIAL_ID, description: 'The source material the ciphertext was made under (symmetric keys).' }) sourceKeyMaterialId?: string;
  @ApiProperty({ ...KEY_ID, description: 'The key the new ciphertext is under.' }) destinationKeyId: string;
  @ApiProperty(KEY_ARN) destinationKeyArn: string;
  @ApiProperty({ example: 'SYMMETRIC_DEFAULT' }) destinationEncryptionAlgorithm: string;
  @ApiPropertyOptional({ ...KEY_MATERIAL_ID, description: 'The destination material used (symmetric keys).' }) destinationKeyMaterialId?: string;
}

export class DataKeyResource extends UsedKeyResource {
  @ApiProperty({ format: 'byte', description: 'The data key encrypted under the key (base64): store it beside your data, decrypt it with /decrypt.' }) ciphertext: string;
  @ApiPropertyOptional({ format: 'byte', description: 'The data key (base64); absent with includePlaintext false. Use it, then discard it.' }) plaintext?: string;
  @ApiProperty(KEY_MATERIAL_ID) keyMaterialId: string;
}

export class DataKeyPairResource extends UsedKeyResource {
  @ApiProperty({ example: 'ECC_NIST_P256' }) keyPairSpec: string;
  @ApiProperty({ format: 'byte', description: 'The public key, DER SubjectPublicKeyInfo (base64).' }) publicKey: string;
  @ApiProperty({ format: 'byte', description: 'The PKCS#8 DER private key encrypted under the key (base64); decrypt it with /decrypt.' }) privateKeyCiphertext: string;
  @ApiPropertyOptional({ format: 'byte', description: 'The PKCS#8 DER private key (base64); absent with includePlaintext false.' }) privateKeyPlaintext?: string;
  @ApiProperty(KEY_MATERIAL_ID) keyMaterialId: string;
}

export class SignatureResource extends UsedKeyResource {
  @ApiProperty({ format: 'byte', description: 'The signature (base64): DER (r, s) for ECDSA, raw for RSA.' }) signature: string;
  @ApiProperty({ example: 'ECDSA_SHA_256' }) signingAlgorithm: string;
}

export class SignatureVerifiedResource extends UsedKeyResource {
  @ApiProperty({ type: Boolean, example: true, description: 'Always true: a signature that does not verify is a 422 problem (KMSInvalidSignatureException).' })
  signatureValid: boolean;
  @ApiProperty({ example: 'ECDSA_SHA_256' }) signingAlgorithm: string;
}

export class MacResource extends UsedKeyResource {
  @ApiProperty({ format: 'byte', description: 'The HMAC of the message (base64).' }) mac: string;
  @ApiProperty({ example: 'HMAC_SHA_256' }) macAlgorithm: string;
}

export class MacVerifiedResource extends UsedKeyResource {
  @ApiProperty({ type: Boolean, example: true, description: 'Always true: a MAC that does not verify is a 422 problem (KMSInvalidMacException).' }) macValid: boolean;
  @ApiProperty({ example: 'HMAC_SHA_256' }) macAlgorithm: string;
}

export class SharedSecretResource extends UsedKeyResource {
  @ApiProperty({ format: 'byte', description: 'The raw ECDH shared secret (base64); derive keys from it with a KDF.' }) sharedSecret: string;
  @ApiProperty({ example: 'ECDH' }) keyAgreementAlgorithm: string;
  @ApiProperty({ enum: ['AWS_KMS', 'EXTERNAL'] }) keyOrigin: string;
}

export class PublicKeyResource extends UsedKeyResource {
  @ApiProperty({ format: 'byte', description: 'The public key, DER SubjectPublicKeyInfo (base64).' }) publicKey: string;
  @ApiProperty({ description: 'The same public key as PEM (`-----BEGIN PUBLIC KEY-----`).' }) publicKeyPem: string;
  @ApiProperty({ example: 'ECC_NIST_P256' }) keySpec: string;
  @ApiProperty({ enum: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'KEY_AGREEMENT'] }) keyUsage: string;
  @ApiPropertyOptional({ type: [String], description: 'ENCRYPT_DECRYPT keys.' }) encryptionAlgorithms?: string[];
  @ApiPropertyOptional({ type: [String], description: 'SIGN_VERIFY keys.' }) signingAlgorithms?: string[];
  @ApiPropertyOptional({ type: [String], description: 'KEY_AGREEMENT keys.' }) keyAgreementAlgorithms?: string[];
}

export class RandomResource {
  @ApiProperty({ format: 'byte', description: 'Random bytes from the CSPRNG (base64).' }) plaintext: string;
}
