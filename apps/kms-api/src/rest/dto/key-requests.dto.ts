import { ApiPropertyOptional } from '@nestjs/swagger';
import { KEY_SPECS, KEY_USAGES, ORIGINS, UNSUPPORTED_KEY_SPECS } from '@keyledger/domain';
import { AwsEnum, AwsPattern, AwsString, Optional } from '../../aws-json/aws-validation';
import { Instant, IntegerText } from '../validation/rest-validators';

/** Every key spec AWS names; the ones this service cannot create are refused by the decider, as over AWS JSON. */
const ALL_KEY_SPECS = [...KEY_SPECS, ...UNSUPPORTED_KEY_SPECS];

export class CreateKeyBody {
  @ApiPropertyOptional({ maxLength: 8192, example: 'payments signing key' })
  @Optional() @AwsString(0, 8192) description?: string;

  @ApiPropertyOptional({ enum: ALL_KEY_SPECS, default: 'SYMMETRIC_DEFAULT' })
  @Optional() @AwsEnum(ALL_KEY_SPECS) keySpec?: string;

  @ApiPropertyOptional({ enum: KEY_USAGES, description: 'ENCRYPT_DECRYPT for a SYMMETRIC_DEFAULT key if left out; required for every other key spec (400 otherwise, as AWS).' })
  @Optional() @AwsEnum(KEY_USAGES) keyUsage?: string;

  @ApiPropertyOptional({ enum: ORIGINS, default: 'AWS_KMS', description: 'EXTERNAL for bring-your-own-key: the key waits in PendingImport for its material.' })
  @Optional() @AwsEnum(ORIGINS) origin?: string;
}

export class ListKeysQuery {
  @ApiPropertyOptional({ description: 'Keys per page, 1 to 1000.', default: 100, type: 'integer', minimum: 1, maximum: 1000 })
  @Optional() @IntegerText(1, 1000) limit?: string;

  @ApiPropertyOptional({ description: '`nextMarker` of the previous page.' })
  @Optional() @AwsString(1, 1024) @AwsPattern(/^[\u0020-\u00FF]*$/) marker?: string;
}

export class GetKeyQuery {
  @ApiPropertyOptional({
    description: "The key as it was at this moment (ISO-8601 with a zone, or epoch milliseconds), rebuilt from its event stream. 404 if the key did not exist yet.",
    example: '2026-01-31T12:00:00Z',
  })
  @Optional() @Instant() asOf?: string;
}

export class KeyEventsQuery {
  @ApiPropertyOptional({ description: 'Events per page, 1 to 1000.', default: 100, type: 'integer', minimum: 1, maximum: 1000 })
  @Optional() @IntegerText(1, 1000) limit?: string;

  @ApiPropertyOptional({ description: 'Only events after this revision: `nextAfterRevision` of the previous page.', type: 'integer', minimum: 0 })
  @Optional() @IntegerText(0, Number.MAX_SAFE_INTEGER) afterRevision?: string;
}
