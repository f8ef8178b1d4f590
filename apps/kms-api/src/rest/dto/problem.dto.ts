import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** RFC 9457 problem details, as every REST error is returned (`application/problem+json`). */
export class ProblemResource {
  @ApiProperty({ example: 'urn:keyledger:problem:not-found', description: 'Identifies the problem type; see docs/rest-api.md.' }) type: string;
  @ApiProperty({ example: 'The key does not exist' }) title: string;
  @ApiProperty({ example: 404 }) status: number;
  @ApiProperty({ example: "Key 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' does not exist" }) detail: string;
  @ApiProperty({ example: '/v1/keys/1234abcd-12ab-34cd-56ef-1234567890ab' }) instance: string;
  @ApiPropertyOptional({ example: 'NotFoundException', description: 'The error the AWS endpoint returns for the same refusal; absent where there is none (412, 415, 503).' })
  awsErrorType?: string;
  @ApiProperty() requestId: string;
  @ApiPropertyOptional({ description: '412 only: the revision named in If-Match.' }) expectedRevision?: number;
  @ApiPropertyOptional({ description: "412 only: the key's current revision (also in ETag)." }) currentRevision?: number;
}
