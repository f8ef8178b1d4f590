import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateBy, ValidationArguments } from 'class-validator';
import { AwsBoolean, AwsEnum, AwsInteger, AwsPattern, AwsString, Optional, Required } from '../../aws-json/aws-validation';
import { IntegerText } from '../validation/rest-validators';

/**
 * Bodies and query strings of the key-management routes (lifecycle, tags, policy, rotation). The constraints are
 * the AWS shapes' (apps/kms-api/src/aws-json/dto/lifecycle.dto.ts); the rules beyond them (pending window 7..30,
 * tag rules, policy document, rotation support) are the domain's, so both endpoints refuse the same requests the
 * same way.
 */

/** Marks a failed check as a wrong JSON type (SerializationException), as aws-validation's type checks do. */
const wrongType = (expected: string) => ({
  message: (args: ValidationArguments) => `Member '${args.property}' must be ${expected}.`,
  context: { aws: 'type' },
});

const MARKER = /^[\u0020-\u00FF]*$/;
const MARKER_DOC = { description: '`nextMarker` of the previous page.' };

export class UpdateDescriptionBody {
  @ApiProperty({ maxLength: 8192, example: 'payments key, owned by team billing' })
  @Required() @AwsString(0, 8192) description: string;
}

export class ScheduleDeletionBody {
  @ApiPropertyOptional({ type: 'integer', minimum: 7, maximum: 30, default: 30, description: 'Days until the key is deleted (7 to 30).' })
  @Optional() @AwsInteger(1, 365) pendingWindowInDays?: number;
}

const isTagList = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.every((t) => !!t && typeof t === 'object' && !Array.isArray(t) && typeof (t as Record<string, unknown>).key === 'string' && typeof (t as Record<string, unknown>).value === 'string');

export class TagBody {
  @ApiProperty({ minLength: 1, maxLength: 128, example: 'team', description: 'Keys starting with `aws:` (any case) are reserved.' }) key: string;
  @ApiProperty({ minLength: 0, maxLength: 256, example: 'billing' }) value: string;
}

export class TagKeyBody {
  @ApiProperty({ type: [TagBody], description: 'Tags to add; a key the key already has gets the new value. At most 50 tags per key in all.' })
  @Required()
  @ValidateBy({ name: 'restTagList', validator: { validate: isTagList } }, wrongType('a list of tags with string key and value'))
  tags: TagBody[];
}

const isTagKeys = (v: unknown): boolean => typeof v === 'string' || (Array.isArray(v) && v.every((k) => typeof k === 'string'));

export class UntagKeyQuery {
  @ApiProperty({
    type: [String],
    description: 'The tag keys to remove, one parameter per key, repeated: `?tagKeys=team&tagKeys=cost-center`. A comma is part of a key, not a separator. Keys the key does not have are ignored.',
    example: ['team'],
  })
  @Required()
  @ValidateBy({ name: 'tagKeys', validator: { validate: isTagKeys } }, wrongType('one or more tag keys'))
  tagKeys: string | string[];
}

export class ListTagsQuery {
  @ApiPropertyOptional({ description: 'Tags per page, 1 to 50.', default: 50, type: 'integer', minimum: 1, maximum: 50 })
  @Optional() @IntegerText(1, 50) limit?: string;

  @ApiPropertyOptional(MARKER_DOC)
  @Optional() @AwsString(1, 1024) @AwsPattern(MARKER) marker?: string;
}

/** Policy characters the AWS model allows: tab, newline, carriage return and U+0020..U+00FF. */
const POLICY_TEXT = /^[\u0009\u000A\u000D\u0020-\u00FF]+$/;

export class PutPolicyBody {
  @ApiProperty({
    description:
      'The key policy document: a JSON object with a `Statement`, at most 131072 characters (tab, newline, carriage return and U+0020..U+00FF). Stored and returned exactly as sent; never evaluated.',
    example: '{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}',
  })
  @Required() @AwsString(1, 1_000_000) @AwsPattern(POLICY_TEXT) policy: string;
}

export class RotationBody {
  @ApiProperty({ description: 'true: EnableKeyRotation; false: DisableKeyRotation.' })
  @Required() @AwsBoolean() enabled: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: 90, maximum: 2560, default: 365, description: 'Only with `enabled: true`: days between automatic rotations.' })
  @Optional() @AwsInteger(90, 2560) rotationPeriodInDays?: number;
}

export const INCLUDE_KEY_MATERIAL = ['ALL_KEY_MATERIAL', 'ROTATIONS_ONLY'];

export class ListRotationsQuery {
  @ApiPropertyOptional({ enum: INCLUDE_KEY_MATERIAL, default: 'ROTATIONS_ONLY', description: 'ALL_KEY_MATERIAL adds the first material and material pending rotation.' })
  @Optional() @AwsEnum(INCLUDE_KEY_MATERIAL) includeKeyMaterial?: 'ALL_KEY_MATERIAL' | 'ROTATIONS_ONLY';

  @ApiPropertyOptional({ description: 'Entries per page, 1 to 1000.', default: 100, type: 'integer', minimum: 1, maximum: 1000 })
  @Optional() @IntegerText(1, 1000) limit?: string;

  @ApiPropertyOptional(MARKER_DOC)
  @Optional() @AwsString(1, 1024) @AwsPattern(MARKER) marker?: string;
}
