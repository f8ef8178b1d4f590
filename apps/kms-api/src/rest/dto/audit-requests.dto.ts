import { ApiPropertyOptional } from '@nestjs/swagger';
import { AwsString, Optional } from '../../aws-json/aws-validation';
import { Instant, IntegerText } from '../validation/rest-validators';

export class AuditSearchQuery {
  @ApiPropertyOptional({ description: 'Only records of this key (key id or key ARN).' })
  @Optional() @AwsString(1, 2048) keyId?: string;

  @ApiPropertyOptional({ description: 'Only records of this event type; without its version (`KeyMaterialImported`), of every version.', example: 'KeyMaterialImported.v1' })
  @Optional() @AwsString(1, 256) type?: string;

  @ApiPropertyOptional({ description: "Only records of this principal: an access key id, or the service's name (keyledger-expiry)." })
  @Optional() @AwsString(1, 256) principal?: string;

  @ApiPropertyOptional({ description: 'Only records at or after this moment (ISO-8601 with a zone, or epoch milliseconds).' })
  @Optional() @Instant() from?: string;

  @ApiPropertyOptional({ description: 'Only records before this moment (exclusive; ISO-8601 with a zone, or epoch milliseconds).' })
  @Optional() @Instant() to?: string;

  @ApiPropertyOptional({ description: 'Records per page, 1 to 1000.', default: 100, type: 'integer', minimum: 1, maximum: 1000 })
  @Optional() @IntegerText(1, 1000) limit?: string;

  @ApiPropertyOptional({ description: 'Only records after this global position: `nextAfterPosition` of the previous page.', type: 'integer', minimum: 0 })
  @Optional() @IntegerText(0, Number.MAX_SAFE_INTEGER) afterPosition?: string;
}
