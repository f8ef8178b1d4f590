import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { serializationError } from '../../aws-json/aws-protocol-error';
import { validateRequest } from '../../aws-json/aws-validation';

/**
 * aws-validation quotes a rejected value with String(), which throws for JSON such as {"toString": 1}; such a
 * member can only be of the wrong type, so it is refused as one before validation runs.
 */
function refuseUnprintableMembers(members: Record<string, unknown>): void {
  for (const [member, value] of Object.entries(members)) {
    try {
      String(value);
    } catch {
      throw serializationError(`Member '${member}' is of the wrong type.`);
    }
  }
}

/**
 * Validates request bodies and query strings into their DTO classes with the same class-validator rules and
 * error names as the AWS endpoint (validateRequest): wrong JSON types are SerializationException, broken
 * constraints ValidationException. Path parameters and headers pass through untouched.
 */
@Injectable()
export class RestValidationPipe implements PipeTransform {
  async transform(value: unknown, { type, metatype }: ArgumentMetadata): Promise<unknown> {
    if ((type !== 'body' && type !== 'query') || !metatype || metatype === Object || metatype === String) return value;
    const members = value ?? {};
    if (typeof members !== 'object' || Array.isArray(members)) {
      throw serializationError(type === 'body' ? 'The request body must be a JSON object.' : 'The query string could not be read.');
    }
    refuseUnprintableMembers(members as Record<string, unknown>);
    return validateRequest(metatype as new () => object, members as Record<string, unknown>);
  }
}
