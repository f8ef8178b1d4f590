import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EXPIRATION_MODELS, IMPORT_TYPES, WRAPPING_ALGORITHMS, WRAPPING_KEY_SPECS } from '@keyledger/domain';
import { AwsBlob, AwsEnum, AwsPattern, AwsString, Optional, Required } from '../../aws-json/aws-validation';
import { IsoTime } from '../validation/rest-validators';

const KEY_MATERIAL_ID = { pattern: '^[a-f0-9]{64}$', example: 'a5e0c4e1ad2f86de1c6ac1e1ed8b5e48c4b3c06b1c5f0a2e1d4f3c2b1a0f9e8d' };

export class ImportParametersBody {
  @ApiProperty({ enum: WRAPPING_ALGORITHMS, example: 'RSAES_OAEP_SHA_256' })
  @Required() @AwsEnum(WRAPPING_ALGORITHMS) wrappingAlgorithm: string;

  @ApiProperty({ enum: WRAPPING_KEY_SPECS, example: 'RSA_2048' })
  @Required() @AwsEnum(WRAPPING_KEY_SPECS) wrappingKeySpec: string;
}

export class ImportMaterialBody {
  @ApiProperty({ format: 'byte', description: 'The importToken from import-parameters (base64).' })
  @Required() @AwsBlob(1, 6144) importToken: string;

  @ApiProperty({ format: 'byte', description: 'The key material wrapped with the public key from import-parameters (base64).' })
  @Required() @AwsBlob(1, 6144) encryptedKeyMaterial: string;

  @ApiPropertyOptional({ enum: EXPIRATION_MODELS, description: 'Defaults to KEY_MATERIAL_EXPIRES, which requires validTo.' })
  @Optional() @AwsEnum(EXPIRATION_MODELS) expirationModel?: 'KEY_MATERIAL_EXPIRES' | 'KEY_MATERIAL_DOES_NOT_EXPIRE';

  @ApiPropertyOptional({ format: 'date-time', description: 'When the material expires (ISO-8601 with a zone); only with KEY_MATERIAL_EXPIRES.' })
  @Optional() @IsoTime() validTo?: string;

  @ApiPropertyOptional({ enum: IMPORT_TYPES })
  @Optional() @AwsEnum(IMPORT_TYPES) importType?: 'NEW_KEY_MATERIAL' | 'EXISTING_KEY_MATERIAL';

  @ApiPropertyOptional({ maxLength: 256, pattern: '^[a-zA-Z0-9:/_\\s.-]+$' })
  @Optional() @AwsString(0, 256) @AwsPattern(/^[a-zA-Z0-9:/_\s.-]+$/) keyMaterialDescription?: string;

  @ApiPropertyOptional({ ...KEY_MATERIAL_ID, description: 'For EXISTING_KEY_MATERIAL: which associated material this import restores.' })
  @Optional() @AwsString(64, 64) @AwsPattern(/^[a-f0-9]+$/) keyMaterialId?: string;
}

export class DeleteMaterialQuery {
  @ApiPropertyOptional({ ...KEY_MATERIAL_ID, description: 'The material to delete; the current material when absent.' })
  @Optional() @AwsString(64, 64) @AwsPattern(/^[a-f0-9]+$/) keyMaterialId?: string;
}
