import { KmsError, KmsErrors } from '../errors';

const ALIAS_PREFIX = 'alias/';
const RESERVED_PREFIX = 'alias/aws/';
const MAX_ALIAS_NAME = 256;
const PATTERN = /^[a-zA-Z0-9:/_-]+$/;

const constraint = (name: string, rule: string) =>
  KmsErrors.validation(`1 validation error detected: Value '${name}' at 'aliasName' failed to satisfy constraint: Member must ${rule}`);

/**
 * The rules every AliasName member meets, new or existing: the model's length and pattern, then the `alias/` prefix.
 * AWS's text for the prefix is recorded for CreateAlias; UpdateAlias and DeleteAlias take the same member shape, and
 * answering them alike (rather than "Alias arn:…:<name> is not found.", an ARN around whatever was sent, even an
 * alias ARN) is UNCONFIRMED.
 */
export function checkAliasName(name: string): void {
  if (name.length > MAX_ALIAS_NAME) throw constraint(name, `have length less than or equal to ${MAX_ALIAS_NAME}`);
  if (!PATTERN.test(name)) throw constraint(name, `satisfy regular expression pattern: ${PATTERN.source}`);
  if (!name.startsWith(ALIAS_PREFIX)) {
    throw KmsErrors.validation('Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html');
  }
}

/**
 * The rules for a new alias name (kms-operations-reference.md §9.2), in the order AWS applies them: the model's
 * length and pattern (request validation), the `alias/` prefix (SNAP text), the reserved `alias/aws/` prefix
 * (UNCONFIRMED: NotAuthorizedException without a message, as both emulators answer), and `:`, which the
 * pattern allows but the documentation does not (UNCONFIRMED; moto's text).
 */
export function checkNewAliasName(name: string): void {
  checkAliasName(name);
  if (name.startsWith(RESERVED_PREFIX)) throw new KmsError('NotAuthorizedException', '');
  if (name.includes(':')) throw KmsErrors.validation(`${name} contains invalid characters for an alias`);
  if (name === ALIAS_PREFIX) throw constraint(name, 'satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$');
}
