import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DATA_KEY_SPECS, KEY_PAIR_SPECS } from '@keyledger/application';
import { ENCRYPTION_ALGORITHMS, KEY_AGREEMENT_ALGORITHMS, MAC_ALGORITHMS, MESSAGE_TYPES, SIGNING_ALGORITHMS } from '@keyledger/domain';
import { AwsBlob, AwsBoolean, AwsEnum, AwsInteger, AwsString, AwsStringMap, Optional, Required } from '../../aws-json/aws-validation';

/**
 * Bodies of the cryptographic operations. Constraints are the AWS shapes' (apps/kms-api/src/aws-json/dto/
 * crypto.dto.ts, signing.dto.ts), so a request refused on one endpoint is refused the same way on the other:
 * binary members are standard padded base64 (undecodable: SerializationException) whose decoded size is bounded
 * (ValidationException). The enums are the AWS model's, in its order.
 */
const CONTEXT = {
  type: 'object',
  additionalProperties: { type: 'string' },
  example: { purpose: 'invoice', tenant: 't-42' },
} as const;
const ENCRYPTION_CONTEXT = {
  ...CONTEXT,
  description: 'Symmetric keys only: bound to the ciphertext; the same map must be given to decrypt it. Not stored, only a hash in the usage log.',
};
const ALGORITHM = { enum: ENCRYPTION_ALGORITHMS, default: 'SYMMETRIC_DEFAULT', description: 'RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256 for an RSA ENCRYPT_DECRYPT key.' };

export class EncryptBody {
  @ApiProperty({ format: 'byte', description: 'The data to encrypt (base64), 1 to 4096 bytes; less for RSA keys (e.g. 190 with RSA_2048 and OAEP SHA-256).', example: 'aGVsbG8=' })
  @Required() @AwsBlob(1, 4096) plaintext: string;

  @ApiPropertyOptional(ENCRYPTION_CONTEXT)
  @Optional() @AwsStringMap() encryptionContext?: Record<string, string>;

  @ApiPropertyOptional(ALGORITHM)
  @Optional() @AwsEnum(ENCRYPTION_ALGORITHMS) encryptionAlgorithm?: string;
}

export class DecryptBody {
  @ApiProperty({ format: 'byte', description: 'A ciphertext made under the key in the path (base64), at most 6144 bytes.' })
  @Required() @AwsBlob(1, 6144) ciphertext: string;

  @ApiPropertyOptional({ ...ENCRYPTION_CONTEXT, description: 'The encryption context the ciphertext was made with.' })
  @Optional() @AwsStringMap() encryptionContext?: Record<string, string>;

  @ApiPropertyOptional({ ...ALGORITHM, description: 'The algorithm the ciphertext was made with (required in effect for RSA ciphertexts).' })
  @Optional() @AwsEnum(ENCRYPTION_ALGORITHMS) encryptionAlgorithm?: string;
}

export class ReEncryptBody {
  @ApiProperty({ format: 'byte', description: 'A ciphertext made under the key in the path (base64), at most 6144 bytes.' })
  @Required() @AwsBlob(1, 6144) ciphertext: string;

  @ApiPropertyOptional({ ...ENCRYPTION_CONTEXT, description: 'The encryption context the ciphertext was made with.' })
  @Optional() @AwsStringMap() sourceEncryptionContext?: Record<string, string>;

  @ApiPropertyOptional({ ...ALGORITHM, description: 'The algorithm the ciphertext was made with.' })
  @Optional() @AwsEnum(ENCRYPTION_ALGORITHMS) sourceEncryptionAlgorithm?: string;

  @ApiProperty({ description: 'The key to encrypt under: key id, key ARN or alias.', example: '0987dcba-09fe-87dc-65ba-ab0987654321' })
  @Required() @AwsString(1, 2048) destinationKeyId: string;

  @ApiPropertyOptional({ ...ENCRYPTION_CONTEXT, description: 'The encryption context to bind to the new ciphertext (symmetric destination keys only).' })
  @Optional() @AwsStringMap() destinationEncryptionContext?: Record<string, string>;

  @ApiPropertyOptional({ ...ALGORITHM, description: 'The algorithm to encrypt with under the destination key.' })
  @Optional() @AwsEnum(ENCRYPTION_ALGORITHMS) destinationEncryptionAlgorithm?: string;
}

const INCLUDE_PLAINTEXT = {
  default: true,
  description: 'false: the plaintext is not returned (GenerateDataKey*WithoutPlaintext); decrypt the ciphertext when you need it.',
};

export class DataKeyBody {
  @ApiPropertyOptional({ enum: DATA_KEY_SPECS, description: 'The data key length; give exactly one of keySpec and numberOfBytes.', example: 'AES_256' })
  @Optional() @AwsEnum(DATA_KEY_SPECS) keySpec?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1024, description: 'The data key length in bytes; give exactly one of keySpec and numberOfBytes.' })
  @Optional() @AwsInteger(1, 1024) numberOfBytes?: number;

  @ApiPropertyOptional(ENCRYPTION_CONTEXT)
  @Optional() @AwsStringMap() encryptionContext?: Record<string, string>;

  @ApiPropertyOptional(INCLUDE_PLAINTEXT)
  @Optional() @AwsBoolean() includePlaintext?: boolean;
}

export class DataKeyPairBody {
  @ApiProperty({ enum: KEY_PAIR_SPECS, example: 'ECC_NIST_P256', description: 'SM2 is refused (China Regions only).' })
  @Required() @AwsEnum(KEY_PAIR_SPECS) keyPairSpec: string;

  @ApiPropertyOptional(ENCRYPTION_CONTEXT)
  @Optional() @AwsStringMap() encryptionContext?: Record<string, string>;

  @ApiPropertyOptional(INCLUDE_PLAINTEXT)
  @Optional() @AwsBoolean() includePlaintext?: boolean;
}

export class SignBody {
  @ApiProperty({ format: 'byte', description: 'The message (base64), at most 4096 bytes; with messageType DIGEST, the digest of the algorithm\'s hash.', example: 'aGVsbG8=' })
  @Required() @AwsBlob(1, 4096) message: string;

  @ApiPropertyOptional({ enum: MESSAGE_TYPES, default: 'RAW', description: 'EXTERNAL_MU (ML-DSA only) is refused.' })
  @Optional() @AwsEnum(MESSAGE_TYPES) messageType?: string;

  @ApiProperty({ enum: SIGNING_ALGORITHMS, example: 'ECDSA_SHA_256', description: "One of the key's signingAlgorithms." })
  @Required() @AwsEnum(SIGNING_ALGORITHMS) signingAlgorithm: string;
}

export class VerifyBody extends SignBody {
  @ApiProperty({ format: 'byte', description: 'The signature to check (base64), at most 6144 bytes.' })
  @Required() @AwsBlob(1, 6144) signature: string;
}

export class MacBody {
  @ApiProperty({ format: 'byte', description: 'The message (base64), at most 4096 bytes.', example: 'aGVsbG8=' })
  @Required() @AwsBlob(1, 4096) message: string;

  @ApiProperty({ enum: MAC_ALGORITHMS, example: 'HMAC_SHA_256', description: "The key's MAC algorithm (HMAC_256 keys: HMAC_SHA_256)." })
  @Required() @AwsEnum(MAC_ALGORITHMS) macAlgorithm: string;
}

export class VerifyMacBody extends MacBody {
  @ApiProperty({ format: 'byte', description: 'The MAC to check (base64), at most 6144 bytes.' })
  @Required() @AwsBlob(1, 6144) mac: string;
}

export class SharedSecretBody {
  @ApiProperty({ enum: KEY_AGREEMENT_ALGORITHMS, example: 'ECDH' })
  @Required() @AwsEnum(KEY_AGREEMENT_ALGORITHMS) keyAgreementAlgorithm: string;

  @ApiProperty({ format: 'byte', description: "The peer's public key on the key's curve, DER SubjectPublicKeyInfo (base64), at most 8192 bytes." })
  @Required() @AwsBlob(1, 8192) publicKey: string;
}

export class RandomBody {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 1024, example: 32, description: 'How many random bytes.' })
  @Required() @AwsInteger(1, 1024) numberOfBytes: number;
}
