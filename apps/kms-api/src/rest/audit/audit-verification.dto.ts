import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const KINDS = ['event-modified', 'event-missing', 'event-inserted', 'event-out-of-order', 'chain-link-missing', 'log-order-changed', 'digest-invalid', 'digest-missing'];

export class VerifiedEventResource {
  @ApiProperty() streamId: string;
  @ApiPropertyOptional() revision?: number;
  @ApiPropertyOptional({ description: 'The key the stream belongs to, when it is a key stream (or names a key).' }) keyId?: string;
  @ApiPropertyOptional({ example: 'KeyEnabled.v1' }) type?: string;
  @ApiPropertyOptional({ format: 'date-time' }) time?: string;
}

export class VerificationProblemResource {
  @ApiProperty({ enum: KINDS }) kind: string;
  @ApiPropertyOptional({ description: 'Global position of the event concerned (for removed events: where the gap shows).' }) position?: number;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ type: VerifiedEventResource, description: "The event concerned; only when it belongs to the caller's account." })
  event?: VerifiedEventResource;
}

export class VerifiedDigestResource {
  @ApiProperty({ description: 'Position of the digest event.' }) position: number;
  @ApiProperty({ description: 'The digest covers the log up to this position.' }) toPosition: number;
  @ApiProperty({ format: 'date-time' }) signedAt: string;
  @ApiProperty({ description: 'SHA-256 of the signing public key (SPKI DER), hex.' }) publicKeyFingerprint: string;
  @ApiProperty({ description: 'digestHash: keep it and pass it to `keyledger verify --expect-digest` to detect truncation.' }) hash: string;
}

export class AuditVerificationResource {
  @ApiProperty({ description: 'True when every hash chain link and every signed digest verified.' }) ok: boolean;
  @ApiProperty({ format: 'date-time' }) verifiedAt: string;
  @ApiProperty({ description: 'SHA-256 of the public key the digests were checked with (the service\'s digest signing key).' }) publicKeyFingerprint: string;
  @ApiProperty({ description: 'Events in the whole log (every account), up to headPosition.' }) eventCount: number;
  @ApiProperty() headPosition: number;
  @ApiProperty({ description: 'Signed digests whose signature and link verified.' }) digestCount: number;
  @ApiPropertyOptional({ type: VerifiedDigestResource }) lastDigest?: VerifiedDigestResource;
  @ApiProperty({ description: 'Events after the last digest: chained, not yet signed.' }) undigestedEventCount: number;
  @ApiProperty() problemCount: number;
  @ApiPropertyOptional({ type: VerificationProblemResource, description: 'The problem at the earliest position.' }) firstProblem?: VerificationProblemResource;
  @ApiProperty({ type: [VerificationProblemResource], description: 'At most 100, in position order.' }) problems: VerificationProblemResource[];
  @ApiProperty({ type: [String], description: 'Limits of what this verification could prove.' }) warnings: string[];
}
