import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class PrincipalResource {
  @ApiProperty({ enum: ['User', 'Service'] }) type: string;
  @ApiProperty() accountId: string;
  @ApiPropertyOptional({ description: 'For User principals: the access key id that signed the request (or whose bearer token was presented).' }) accessKeyId?: string;
  @ApiPropertyOptional({ description: 'For User principals: the principal the credentials file names for that access key (never what the request claims).' }) name?: string;
  @ApiPropertyOptional({ description: 'For Service principals: which part of Keyledger acted.' }) invokedBy?: string;
}

/** One recorded change of a key. Payloads hold ids and facts (material ids are one-way hashes), never key material. */
export class KeyEventResource {
  @ApiProperty({ example: 'KeyMaterialImported.v1' }) type: string;
  @ApiProperty({ description: "0-based revision in the key's stream (what ETag carries)." }) revision: number;
  @ApiProperty({ description: 'Position in the global log.' }) position: number;
  @ApiProperty({ format: 'date-time' }) time: string;
  @ApiPropertyOptional({ type: PrincipalResource }) principal?: PrincipalResource;
  @ApiPropertyOptional() requestId?: string;
  @ApiPropertyOptional() correlationId?: string;
  @ApiPropertyOptional() causationId?: string;
  @ApiPropertyOptional({ example: 'ImportKeyMaterial' }) operation?: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) data: Record<string, unknown>;
}

export class KeyEventsResource {
  @ApiProperty() keyId: string;
  @ApiProperty({ description: "The stream's current revision." }) revision: number;
  @ApiProperty({ type: [KeyEventResource] }) events: KeyEventResource[];
  @ApiPropertyOptional({ description: 'Pass as `afterRevision` for the next page; absent on the last page.' }) nextAfterRevision?: number;
}

export class AuditRecordResource {
  @ApiProperty({ description: 'Position in the global log.' }) position: number;
  @ApiProperty() streamId: string;
  @ApiPropertyOptional({ description: "Revision in its stream; absent from the requester's own refusals about a key (that stream counts everyone's refusals about the key id)." })
  revision?: number;
  @ApiPropertyOptional() keyId?: string;
  @ApiProperty({ example: 'KeyMaterialImported.v1' }) type: string;
  @ApiProperty({ format: 'date-time' }) time: string;
  @ApiPropertyOptional({ type: PrincipalResource }) principal?: PrincipalResource;
  @ApiPropertyOptional() requestId?: string;
  @ApiPropertyOptional() operation?: string;
  @ApiProperty({ enum: ['Succeeded', 'Refused'] }) outcome: string;
  @ApiPropertyOptional({ description: 'For refusals: the AWS error name returned.' }) errorType?: string;
  @ApiPropertyOptional() errorMessage?: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) data: Record<string, unknown>;
}

export class AuditPageResource {
  @ApiProperty({ type: [AuditRecordResource] }) records: AuditRecordResource[];
  @ApiPropertyOptional({ description: 'Pass as `afterPosition` for the next page; absent on the last page. A page may hold fewer records than asked for.' })
  nextAfterPosition?: number;
}
