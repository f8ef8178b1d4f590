import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AwsPattern, AwsString, Optional } from '../../aws-json/aws-validation';
import { Instant, IntegerText } from '../validation/rest-validators';
import { PrincipalResource } from './history-resources.dto';

export class KeyUsageQuery {
  @ApiPropertyOptional({ description: 'Records per page, 1 to 1000.', default: 100, type: 'integer', minimum: 1, maximum: 1000 })
  @Optional() @IntegerText(1, 1000) limit?: string;

  @ApiPropertyOptional({ description: 'Only records after this one: `next` of the previous page (opaque).' })
  @Optional() @AwsString(1, 128) @AwsPattern(/^[A-Za-z0-9_-]+$/) after?: string;

  @ApiPropertyOptional({ description: 'Only uses at or after this moment (ISO-8601 with a zone, or epoch milliseconds).', example: '2026-01-31T12:00:00Z' })
  @Optional() @Instant() from?: string;

  @ApiPropertyOptional({ description: 'Only uses before this moment (exclusive; ISO-8601 with a zone, or epoch milliseconds).' })
  @Optional() @Instant() to?: string;

  @ApiPropertyOptional({ description: "Only uses by this principal: an access key id, or the service's name." })
  @Optional() @AwsString(1, 256) principal?: string;

  @ApiPropertyOptional({ description: 'Only uses through this AWS operation.', example: 'Decrypt' })
  @Optional() @AwsString(1, 64) operation?: string;
}

/** One use of a key, or a refused attempt. Ids, names and times only: never plaintext, ciphertext or context values. */
export class UsageRecordResource {
  @ApiProperty({ description: 'Opaque position of the record in the usage log (pass as `after` to continue after it).' }) cursor: string;
  @ApiProperty() keyId: string;
  @ApiProperty() keyArn: string;
  @ApiProperty({ description: 'The AWS operation.', example: 'Decrypt' }) operation: string;
  @ApiPropertyOptional({ description: 'The key material used.' }) keyMaterialId?: string;
  @ApiProperty({ type: PrincipalResource }) principal: PrincipalResource;
  @ApiProperty({ description: 'The id of the request that used the key (`x-amzn-RequestId` / `X-Request-Id`).' }) requestId: string;
  @ApiProperty({ format: 'date-time' }) time: string;
  @ApiProperty({ enum: ['Succeeded', 'Refused'] }) outcome: string;
  @ApiPropertyOptional({ description: 'For refusals: the AWS error name returned.' }) errorType?: string;
  @ApiPropertyOptional({ description: 'SHA-256 (hex) of the canonical encryption context, when the request had one. The values are never recorded.' })
  encryptionContextHash?: string;
}

export class KeyUsagePageResource {
  @ApiProperty({ type: [UsageRecordResource] }) records: UsageRecordResource[];
  @ApiPropertyOptional({ description: 'Pass as `after` for the next page; absent on the last page.' }) next?: string;
}
