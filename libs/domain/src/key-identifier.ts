import { KmsError, KmsErrors } from './errors';

/** The account and region a request is served in (from its credentials). */
export interface RequestScope {
  accountId: string;
  region: string;
}

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MRK_ID = /^mrk-[0-9a-f]{32}$/;
const ARN = /^arn:(aws[a-z-]*):kms:([a-z0-9-]*):([0-9]*):(key|alias)\/(.+)$/;

export const isKeyId = (s: string): boolean => KEY_ID.test(s) || MRK_ID.test(s);

export const keyArn = (scope: RequestScope, keyId: string): string =>
  `arn:aws:kms:${scope.region}:${scope.accountId}:key/${keyId}`;

export const aliasArn = (scope: RequestScope, aliasName: string): string =>
  `arn:aws:kms:${scope.region}:${scope.accountId}:${aliasName}`;

export interface ResolveOptions {
  /** Import operations accept only a key id or key ARN; "use" operations also accept aliases. */
  allowAlias: boolean;
}

/**
 * Turns a KeyId request member into the key id it names in this account and region, or the AWS error for it
 * (kms-api-reference.md §2). Aliases are recognised but none exist yet, so an alias is "not found".
 */
export function resolveKeyId(input: string, scope: RequestScope, options: ResolveOptions): { keyId: string } | { error: KmsError } {
  if (isKeyId(input)) return { keyId: input };
  if (input.startsWith('alias/')) {
    return { error: options.allowAlias ? KmsErrors.aliasNotFound(aliasArn(scope, input)) : KmsErrors.invalidKeyId(input) };
  }
  if (!input.startsWith('arn:')) return { error: KmsErrors.invalidKeyId(input) };
  const match = ARN.exec(input);
  if (!match) return { error: KmsErrors.invalidArn(input) };
  const [, , region, accountId, resource, name] = match;
  if (region !== scope.region) return { error: KmsErrors.invalidArnRegion(region) };
  if (resource === 'alias') {
    return { error: options.allowAlias ? KmsErrors.aliasNotFound(input) : KmsErrors.invalidKeyId(input) };
  }
  if (!isKeyId(name)) return { error: KmsErrors.invalidKeyId(name) };
  // Keys of other accounts are not reachable (import operations are never cross-account).
  if (accountId !== scope.accountId) return { error: KmsErrors.keyNotFound(input) };
  return { keyId: name };
}
