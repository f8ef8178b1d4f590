import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
  ValidateBy,
  ValidateIf,
  ValidationArguments,
  ValidationError,
  ValidationOptions,
} from 'class-validator';
import { isWellFormedText, UNICODE_TEXT_RULE } from '@keyledger/domain';
import { AwsProtocolError, serializationError } from './aws-protocol-error';
import { compiledValidatorFor } from './compiled-validation';

/**
 * class-validator decorators that fail the way AWS does (kms-api-reference.md §1.3):
 * - a member of the wrong JSON type or undecodable base64 -> SerializationException;
 * - a constraint (required, enum, length, range, pattern) -> ValidationException
 *   "N validation error(s) detected: Value '<v>' at '<camelMember>' failed to satisfy constraint: ...".
 */
const TYPE_ERROR = { aws: 'type' };

const camel = (member: string) => member.charAt(0).toLowerCase() + member.slice(1);
/**
 * How AWS shows a rejected value. Only primitives are echoed: String() and JSON.stringify can throw on hostile
 * objects (a non-function toString, nesting deep enough to overflow the stack).
 */
function shown(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? "'[list]'" : "'{structure}'";
  return `'${String(value)}'`;
}
const constraint = (text: string, options: { hideValue?: boolean } = {}): ValidationOptions => ({
  message: (args: ValidationArguments) =>
    `Value${options.hideValue ? '' : ` ${shown(args.value)}`} at '${camel(args.property)}' failed to satisfy constraint: ${text}`,
});
const typeError = (expected: string): ValidationOptions => ({
  message: (args: ValidationArguments) => `Member '${args.property}' must be ${expected}.`,
  context: TYPE_ERROR,
});

const compose =
  (...decorators: PropertyDecorator[]): PropertyDecorator =>
  (target, key) => decorators.forEach((d) => d(target, key));

export const Required = () => IsDefined(constraint('Member must not be null'));
/** Absent and null members are the same thing in AWS JSON. */
export const Optional = () => IsOptional();

/** Decrypt and ReEncrypt's DryRunModifiers values (MODEL DryRunModifierType). */
export const DRY_RUN_MODIFIERS = ['IGNORE_CIPHERTEXT'] as const;

/** The members of Decrypt and ReEncrypt that say whether the ciphertext is ignored. */
type DryRunMembers = { DryRun?: boolean; DryRunModifiers?: unknown };

/** A dry run that checks only the caller's access, not the ciphertext: DryRun true and DryRunModifiers IGNORE_CIPHERTEXT. */
export const ignoresCiphertext = (request: DryRunMembers): boolean =>
  request.DryRun === true && Array.isArray(request.DryRunModifiers) && request.DryRunModifiers.includes('IGNORE_CIPHERTEXT');

/**
 * CiphertextBlob: required, except in a dry run that ignores the ciphertext (MODEL: "required in all cases except
 * when DryRun is true and DryRunModifiers is set to IGNORE_CIPHERTEXT"). A blob that is sent is checked either way.
 */
export const RequiredUnlessCiphertextIgnored = () =>
  ValidateIf((request: DryRunMembers, value: unknown) => value !== undefined || !ignoresCiphertext(request));

/**
 * The key (Decrypt's KeyId, ReEncrypt's SourceKeyId): optional, but required in a dry run that ignores the
 * ciphertext, since nothing else names the key then (MODEL). AWS's wording is UNCONFIRMED; this is the Coral
 * template of every other missing member.
 */
export const RequiredIfCiphertextIgnored = () =>
  ValidateIf((request: DryRunMembers, value: unknown) => value !== undefined || ignoresCiphertext(request));

export const AwsString = (min: number, max: number) =>
  compose(
    IsString(typeError('a string')),
    MinLength(min, constraint(`Member must have length greater than or equal to ${min}`)),
    MaxLength(max, constraint(`Member must have length less than or equal to ${max}`)),
    // Valid JSON may still carry an unpaired surrogate (\ud800); stored, it would break every JSON tool that reads the
    // audit trail (jq). Not Unicode text, so refused (libs/domain isWellFormedText; AWS's answer is UNCONFIRMED).
    ValidateBy(
      { name: 'unicodeText', validator: { validate: (v: unknown) => typeof v !== 'string' || isWellFormedText(v) } },
      constraint(UNICODE_TEXT_RULE, { hideValue: true }),
    ),
  );

export const AwsPattern = (pattern: RegExp) => Matches(pattern, constraint(`Member must satisfy regular expression pattern: ${pattern.source}`));

export const AwsEnum = (values: readonly string[]) =>
  compose(IsString(typeError('a string')), IsIn([...values], constraint(`Member must satisfy enum value set: [${values.join(', ')}]`)));

export const AwsBoolean = () => IsBoolean(typeError('a boolean'));

export const AwsInteger = (min: number, max: number) =>
  compose(
    IsInt(typeError('an integer')),
    Min(min, constraint(`Member must have value greater than or equal to ${min}`)),
    Max(max, constraint(`Member must have value less than or equal to ${max}`)),
  );

/** Timestamps arrive as epoch seconds, integer or fractional. */
export const AwsTimestamp = () => IsNumber({ allowNaN: false, allowInfinity: false }, typeError('a timestamp in epoch seconds'));

/** A list of strings: a list whose elements are not all strings is a wrong member type too. */
export const AwsStringList = () => compose(IsArray(typeError('a list of strings')), IsString({ ...typeError('a list of strings'), each: true }));

/**
 * A rule for each string of a list, refused as AWS words a list member: the 1-based path `<list>.<n>.member`
 * (kms-operations-reference.md §0.1, `tags.1.member.tagKey`). The first member that breaks it is named.
 */
const eachMember = (name: string, holds: (member: string) => boolean, text: string) => {
  const firstBroken = (list: unknown): number => (Array.isArray(list) ? list.findIndex((m) => typeof m === 'string' && !holds(m)) : -1);
  return ValidateBy(
    { name, validator: { validate: (list: unknown) => firstBroken(list) < 0 } },
    {
      message: (args: ValidationArguments) => {
        const index = firstBroken(args.value);
        return `Value ${shown((args.value as unknown[])[index])} at '${camel(args.property)}.${index + 1}.member' failed to satisfy constraint: ${text}`;
      },
    },
  );
};

/** GrantTokenList: at most 10 tokens of 1..8192 characters (MODEL). Keyledger has no grants; a token is otherwise ignored. */
export const AwsGrantTokens = () =>
  compose(
    AwsStringList(),
    ArrayMaxSize(10, constraint('Member must have length less than or equal to 10')),
    eachMember('grantTokenMinLength', (token) => token.length >= 1, 'Member must have length greater than or equal to 1'),
    eachMember('grantTokenMaxLength', (token) => token.length <= 8192, 'Member must have length less than or equal to 8192'),
  );

/** A list of enum strings, such as DryRunModifiers. */
export const AwsEnumList = (values: readonly string[]) =>
  compose(AwsStringList(), eachMember('enumMember', (member) => values.includes(member), `Member must satisfy enum value set: [${values.join(', ')}]`));

const isTag = (t: unknown): boolean =>
  !!t && typeof t === 'object' && !Array.isArray(t) && typeof (t as Record<string, unknown>).TagKey === 'string' && typeof (t as Record<string, unknown>).TagValue === 'string';

/** A list of Tag structures ({TagKey, TagValue}, both strings); lengths and the tag rules are the domain's. */
export const AwsTagList = () =>
  compose(
    IsArray(typeError('a list')),
    ValidateBy(
      { name: 'awsTagList', validator: { validate: (v: unknown) => !Array.isArray(v) || v.every(isTag) } },
      typeError('a list of Tag structures with string TagKey and TagValue'),
    ),
  );

/** A structure member (a JSON object), e.g. Nitro Enclaves' RecipientInfo. */
export const AwsStructure = () =>
  ValidateBy(
    { name: 'awsStructure', validator: { validate: (v: unknown) => !!v && typeof v === 'object' && !Array.isArray(v) } },
    typeError('a structure'),
  );

/** A string-to-string map such as EncryptionContext. */
export const AwsStringMap = () =>
  compose(
    IsObject(typeError('a map of strings to strings')),
    ValidateBy(
      { name: 'awsStringMap', validator: { validate: (v: unknown) => !!v && typeof v === 'object' && Object.values(v).every((x) => typeof x === 'string') } },
      typeError('a map of strings to strings'),
    ),
  );

/**
 * Standard padded base64: whole groups of four, `=` padding only at the end. The same language as
 * /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/ (a multiple of four characters fixes where
 * the padding may go), checked with one character-class scan, about half that pattern's cost on a 1 KiB blob:
 * every Encrypt, Decrypt, Sign and GenerateMac carries one.
 */
const BASE64_CHARACTERS = /^[A-Za-z0-9+/]*={0,2}$/;
export const isPaddedBase64 = (value: unknown): boolean => typeof value === 'string' && value.length % 4 === 0 && BASE64_CHARACTERS.test(value);
// Computed from the text's length and padding, without decoding: exact for the valid base64 the pattern above
// accepts; for anything else the pattern's type error is the one answered (toAwsError), whatever this says.
const decodedLength = (v: unknown) => (typeof v === 'string' ? Buffer.byteLength(v, 'base64') : 0);

/** A blob: standard padded base64 whose decoded length is within bounds. Its value is never echoed back. */
export const AwsBlob = (min: number, max: number) =>
  compose(
    IsString(typeError('a base64-encoded blob')),
    ValidateBy({ name: 'base64', validator: { validate: isPaddedBase64 } }, { message: (a: ValidationArguments) => `Member '${a.property}' is not valid base64.`, context: TYPE_ERROR }),
    ValidateBy(
      { name: 'blobMin', validator: { validate: (v: unknown) => decodedLength(v) >= min } },
      constraint(`Member must have length greater than or equal to ${min}`, { hideValue: true }),
    ),
    ValidateBy(
      { name: 'blobMax', validator: { validate: (v: unknown) => decodedLength(v) <= max } },
      constraint(`Member must have length less than or equal to ${max}`, { hideValue: true }),
    ),
  );

/**
 * A list or map with more entries than any request may carry, found on the raw text before parsing
 * (http-limits/json-structure.ts): the AWS ValidationException for a length constraint, naming the member's path.
 */
export function memberTooLong(path: readonly string[], container: 'array' | 'object', maxEntries: number): AwsProtocolError {
  const at = path.map((segment) => (/^\d+$/.test(segment) ? segment : camel(segment))).join('.');
  const value = container === 'array' ? [] : {};
  return new AwsProtocolError(
    'ValidationException',
    `1 validation error detected: Value ${shown(value)} at '${at}' failed to satisfy constraint: Member must have length less than or equal to ${maxEntries}`,
  );
}

/**
 * Builds the DTO from the parsed body, validates it, and throws the AWS error for the first kind of problem.
 * Unknown members are ignored, as AWS services do.
 */
export async function validateRequest<T extends object>(dtoClass: new () => T, body: Record<string, unknown>): Promise<T> {
  const dto = new dtoClass();
  const members = dto as Record<string, unknown>;
  for (const member in body) {
    // class-validator finds the rules through dto.constructor: a "constructor" member (no KMS shape has one) would
    // switch validation off, so it is ignored like any other unknown member. A "__proto__" member (an own
    // property of a parsed body) would be assigned as the prototype, so it is ignored too. The DTOs declare no
    // accessors, so every other assignment makes an own data property.
    if (!Object.hasOwn(body, member) || member === 'constructor' || member === '__proto__') continue;
    const value = body[member];
    if (value !== null) members[member] = value;
  }
  if (compiledValidatorFor(dtoClass)?.isValid(dto)) return dto;
  // Synchronously: no rule here is asynchronous, and the async variant costs a promise per constraint.
  const errors = validateSync(dto, { forbidUnknownValues: false });
  if (errors.length === 0) return dto;
  throw toAwsError(errors);
}

/** Which failed constraint speaks for a member: missing first, then wrong type, then the first constraint. */
function describe(error: ValidationError): { kind: 'type' | 'constraint'; message: string } {
  const constraints = error.constraints ?? {};
  if (error.value === undefined && constraints.isDefined) return { kind: 'constraint', message: constraints.isDefined };
  const typeConstraint = Object.keys(constraints).find((name) => error.contexts?.[name]?.aws === 'type');
  if (typeConstraint) return { kind: 'type', message: constraints[typeConstraint] };
  return { kind: 'constraint', message: Object.values(constraints)[0] };
}

function toAwsError(errors: ValidationError[]): AwsProtocolError {
  const described = errors.map(describe);
  const typeFailure = described.find((d) => d.kind === 'type');
  if (typeFailure) return serializationError(typeFailure.message);
  const count = `${described.length} validation error${described.length === 1 ? '' : 's'} detected: `;
  return new AwsProtocolError('ValidationException', count + described.map((d) => d.message).join('; '));
}
