import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AwsInteger, Optional } from '../../aws-json/aws-validation';

/** Ten years: far enough for any expiry or deletion window (ValidTo is at most 365 days ahead). */
export const MAX_CLOCK_SECONDS = 10 * 366 * 86_400;

export class MoveClockBody {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_CLOCK_SECONDS, example: 7200, description: 'Move the clock this many seconds forward.' })
  @Optional() @AwsInteger(1, MAX_CLOCK_SECONDS) advanceSeconds?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_CLOCK_SECONDS,
    example: 691200,
    description: 'Set the offset from the wall clock to this many seconds; it cannot be less than the current offset (the clock never goes back).',
  })
  @Optional() @AwsInteger(0, MAX_CLOCK_SECONDS) offsetSeconds?: number;
}

export class SweepResource {
  @ApiProperty({ type: 'integer' }) expiredMaterials: number;
  @ApiProperty({ type: 'integer' }) deletedKeys: number;
  @ApiProperty({ type: 'integer' }) deletedAliases: number;
  @ApiProperty({ type: 'integer' }) rotatedKeys: number;
}

export class ClockResource {
  @ApiProperty({ enum: ['development', 'production'] }) mode: string;
  @ApiProperty({ example: '2026-12-13T06:00:00.000Z', description: "The service's time: what events record and expiry is judged by." }) now: string;
  @ApiProperty({ example: '2026-12-05T06:00:00.000Z', description: 'The wall clock, for comparison.' }) wallClock: string;
  @ApiProperty({ type: 'number', example: 691200, description: 'How far the service clock runs ahead of the wall clock.' }) offsetSeconds: number;
  @ApiPropertyOptional({ type: SweepResource, description: 'What the maintenance sweep run right after the move did (POST only).' }) sweep?: SweepResource;
}
