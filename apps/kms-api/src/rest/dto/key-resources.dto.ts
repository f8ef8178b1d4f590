import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** A key's metadata: AWS KeyMetadata in camelCase with ISO-8601 times. */
export class KeyResource {
  @ApiProperty({ example: '1234abcd-12ab-34cd-56ef-1234567890ab' }) keyId: string;
  @ApiProperty({ example: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' }) arn: string;
  @ApiProperty({ example: '111122223333' }) awsAccountId: string;
  @ApiProperty({ format: 'date-time' }) creationDate: string;
  @ApiProperty() enabled: boolean;
  @ApiProperty() description: string;
  @ApiProperty({ example: 'ENCRYPT_DECRYPT' }) keyUsage: string;
  @ApiProperty({ enum: ['Enabled', 'Disabled', 'PendingDeletion', 'PendingImport'] }) keyState: string;
  @ApiProperty({ enum: ['AWS_KMS', 'EXTERNAL'] }) origin: string;
  @ApiProperty({ enum: ['CUSTOMER'] }) keyManager: string;
  @ApiProperty({ example: 'SYMMETRIC_DEFAULT' }) keySpec: string;
  @ApiPropertyOptional({ type: [String] }) encryptionAlgorithms?: string[];
  @ApiPropertyOptional({ type: [String] }) signingAlgorithms?: string[];
  @ApiPropertyOptional({ type: [String] }) macAlgorithms?: string[];
  @ApiPropertyOptional({ type: [String] }) keyAgreementAlgorithms?: string[];
  @ApiProperty() multiRegion: boolean;
  @ApiPropertyOptional({ enum: ['KEY_MATERIAL_EXPIRES', 'KEY_MATERIAL_DOES_NOT_EXPIRE'], description: 'Only while imported material is current.' })
  expirationModel?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Only with KEY_MATERIAL_EXPIRES: the earliest expiry of the associated material.' })
  validTo?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Only while the key is PendingDeletion: when it will be deleted.' })
  deletionDate?: string;
  @ApiPropertyOptional({ description: 'Symmetric keys only.' }) currentKeyMaterialId?: string;
}

export class KeyListEntryResource {
  @ApiProperty() keyId: string;
  @ApiProperty() keyArn: string;
}

export class KeyListResource {
  @ApiProperty({ type: [KeyListEntryResource] }) keys: KeyListEntryResource[];
  @ApiPropertyOptional({ description: 'Pass as `marker` for the next page; absent on the last page.' }) nextMarker?: string;
}

export class ImportParametersResource {
  @ApiProperty() keyId: string;
  @ApiProperty() keyArn: string;
  @ApiProperty({ format: 'byte', description: 'Opaque; send it back with the wrapped material (base64).' }) importToken: string;
  @ApiProperty({ format: 'byte', description: 'The wrapping public key, DER SubjectPublicKeyInfo (base64).' }) publicKey: string;
  @ApiProperty({ format: 'date-time', description: 'The token and public key are valid for 24 hours.' }) parametersValidTo: string;
}

export class KeyMaterialResource {
  @ApiProperty() keyId: string;
  @ApiProperty() keyArn: string;
  @ApiPropertyOptional({ description: 'The material imported or deleted.' }) keyMaterialId?: string;
}
