import { ValidateBy, ValidationArguments } from 'class-validator';
import { AwsString } from '../../aws-json/aws-validation';
import { parseInstant, parseIsoTime } from './instant';

/**
 * Constraints of the REST members the AWS shapes do not have (query parameters arrive as text, times are
 * ISO-8601). Each one checks the JSON type first through AwsString, so a wrong type or a repeated query
 * parameter is a SerializationException and a bad value a ValidationException, as in aws-validation.
 */
const shown = (value: unknown) => (typeof value === 'string' ? value : Array.isArray(value) ? 'a list' : typeof value);
const failed = (text: string) => ({
  message: (args: ValidationArguments) => `Value '${shown(args.value)}' at '${args.property}' failed to satisfy constraint: ${text}`,
});

const compose =
  (...decorators: PropertyDecorator[]): PropertyDecorator =>
  (target, key) => decorators.forEach((d) => d(target, key));

/** A decimal integer in [min, max], written as text (query parameters). */
export const IntegerText = (min: number, max: number) =>
  compose(
    AwsString(1, 16),
    ValidateBy(
      { name: 'integerText', validator: { validate: (v: unknown) => typeof v === 'string' && /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max } },
      failed(`Member must be an integer from ${min} to ${max}`),
    ),
  );

/** An ISO-8601 date-time with a zone, e.g. 2026-01-31T12:00:00Z. */
export const IsoTime = () =>
  compose(
    AwsString(1, 64),
    ValidateBy(
      { name: 'isoTime', validator: { validate: (v: unknown) => typeof v === 'string' && parseIsoTime(v) !== undefined } },
      failed('Member must be an ISO-8601 time with a zone, such as 2026-01-31T12:00:00Z'),
    ),
  );

/** A moment as ISO-8601 or epoch milliseconds (query parameters). */
export const Instant = () =>
  compose(
    AwsString(1, 64),
    ValidateBy(
      { name: 'instant', validator: { validate: (v: unknown) => typeof v === 'string' && parseInstant(v) !== undefined } },
      failed('Member must be an ISO-8601 time with a zone or epoch milliseconds'),
    ),
  );
