import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AwsPattern, AwsString, Optional, Required } from '../../aws-json/aws-validation';
import { IntegerText } from '../validation/rest-validators';

/** Aliases: requests and answers. Alias names are checked by the domain (prefix, pattern, reserved names). */

const MARKER = /^[\u0020-\u00FF]*$/;

export class ListAliasesQuery {
  @ApiPropertyOptional({ description: "Only this key's aliases (key id or key ARN; 404 if there is no such key)." })
  @Optional() @AwsString(1, 2048) keyId?: string;

  @ApiPropertyOptional({ description: 'Aliases per page, 1 to 100.', default: 50, type: 'integer', minimum: 1, maximum: 100 })
  @Optional() @IntegerText(1, 100) limit?: string;

  @ApiPropertyOptional({ description: '`nextMarker` of the previous page.' })
  @Optional() @AwsString(1, 1024) @AwsPattern(MARKER) marker?: string;
}

export class KeyAliasesQuery {
  @ApiPropertyOptional({ description: 'Aliases per page, 1 to 100 (a key has at most 50).', default: 50, type: 'integer', minimum: 1, maximum: 100 })
  @Optional() @IntegerText(1, 100) limit?: string;

  @ApiPropertyOptional({ description: '`nextMarker` of the previous page.' })
  @Optional() @AwsString(1, 1024) @AwsPattern(MARKER) marker?: string;
}

export class PutAliasBody {
  @ApiProperty({ description: 'The key the alias names: key id or key ARN (not another alias).', example: '1234abcd-12ab-34cd-56ef-1234567890ab' })
  @Required() @AwsString(1, 2048) targetKeyId: string;
}

export class AliasResource {
  @ApiProperty({ example: 'alias/payments' }) aliasName: string;
  @ApiProperty({ example: 'arn:aws:kms:us-east-1:111122223333:alias/payments' }) aliasArn: string;
  @ApiProperty({ example: '1234abcd-12ab-34cd-56ef-1234567890ab' }) targetKeyId: string;
  @ApiProperty({ format: 'date-time' }) creationDate: string;
  @ApiProperty({ format: 'date-time', description: 'When the alias was created or last moved to another key.' }) lastUpdatedDate: string;
}

export class AliasListResource {
  @ApiProperty({ type: [AliasResource] }) aliases: AliasResource[];
  @ApiPropertyOptional({ description: 'Pass as `marker` for the next page; absent on the last page.' }) nextMarker?: string;
}
