import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Answers of the key-management routes (lifecycle, tags, policy, rotation): camelCase, ISO-8601 times. */

export class KeyDeletionResource {
  @ApiProperty() keyId: string;
  @ApiProperty() keyArn: string;
  @ApiProperty({ format: 'date-time', description: 'When the key will be deleted, with all its material.' }) deletionDate: string;
  @ApiProperty({ enum: ['PendingDeletion'] }) keyState: string;
  @ApiProperty({ type: 'integer', minimum: 7, maximum: 30 }) pendingWindowInDays: number;
}

export class KeyTagResource {
  @ApiProperty({ example: 'team' }) key: string;
  @ApiProperty({ example: 'billing' }) value: string;
}

export class KeyTagsResource {
  @ApiProperty({ type: [KeyTagResource], description: 'In the order the keys were first added.' }) tags: KeyTagResource[];
  @ApiPropertyOptional({ description: 'Pass as `marker` for the next page; absent on the last page.' }) nextMarker?: string;
}

export class KeyPolicyResource {
  @ApiProperty({ enum: ['default'], description: 'KMS keys have one policy, named default.' }) policyName: string;
  @ApiProperty({ description: 'The policy document exactly as stored (AWS\'s default policy for a key given none). Not evaluated: no access decision is made from it.' })
  policy: string;
}

export class KeyRotationStatusResource {
  @ApiProperty({ description: 'Automatic rotation is on. Always false for asymmetric, HMAC and imported-material keys, and while the key is pending deletion.' })
  enabled: boolean;
  @ApiPropertyOptional({ type: 'integer', description: 'Only when enabled.' }) rotationPeriodInDays?: number;
  @ApiPropertyOptional({ format: 'date-time', description: 'Only when enabled: when the next automatic rotation is due.' }) nextRotationDate?: string;
}

export class KeyRotationResource {
  @ApiProperty() keyMaterialId: string;
  @ApiProperty({ enum: ['CURRENT', 'NON_CURRENT', 'PENDING_ROTATION'] }) keyMaterialState: string;
  @ApiPropertyOptional({ enum: ['IMPORTED', 'PENDING_IMPORT'], description: 'EXTERNAL keys only.' }) importState?: string;
  @ApiPropertyOptional({ enum: ['KEY_MATERIAL_EXPIRES', 'KEY_MATERIAL_DOES_NOT_EXPIRE'], description: 'EXTERNAL keys, imported material only.' }) expirationModel?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'EXTERNAL keys, imported material that expires.' }) validTo?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'When the material became current; absent for the key\'s first material and material pending rotation.' })
  rotationDate?: string;
  @ApiPropertyOptional({ enum: ['AUTOMATIC', 'ON_DEMAND'] }) rotationType?: string;
  @ApiPropertyOptional({ description: 'EXTERNAL keys only.' }) keyMaterialDescription?: string;
}

export class KeyRotationsResource {
  @ApiProperty({ type: [KeyRotationResource], description: 'Oldest first.' }) rotations: KeyRotationResource[];
  @ApiPropertyOptional({ description: 'Pass as `marker` for the next page; absent on the last page.' }) nextMarker?: string;
}

export class RotatedKeyResource {
  @ApiProperty() keyId: string;
  @ApiProperty() keyArn: string;
  @ApiProperty({ description: 'The material the key now encrypts with; ciphertexts made before still decrypt.' }) currentKeyMaterialId: string;
}
