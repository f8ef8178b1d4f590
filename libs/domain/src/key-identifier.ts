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

/** What a KeyId member names: a key, an alias to look up, or nothing valid (with the AWS error). */
export type KeyReference = { keyId: string } | { aliasName: string; aliasArn: string } | { error: KmsError };

/**
 * Turns a KeyId request member into the key id or alias it names in this account and region, or the AWS error
 * for it (kms-api-reference.md §2, kms-operations-reference.md §0.2). Aliases are accepted only where AWS
 * accepts them (`allowAlias`); elsewhere an alias is an invalid key id.
 */
export function resolveKeyId(input: string, scope: RequestScope, options: ResolveOptions): KeyReference {
  if (isKeyId(input)) return { keyId: input };
  if (input.startsWith('alias/')) {
    return options.allowAlias ? { aliasName: input, aliasArn: aliasArn(scope, input) } : { error: KmsErrors.invalidKeyId(input) };
  }
  if (!input.startsWith('arn:')) return { error: KmsErrors.invalidKeyId(input) };
  const match = ARN.exec(input);
  if (!match) return { error: KmsErrors.invalidArn(input) };
  const [, partition, region, accountId, resource, name] = match;
  if (region !== scope.region) return { error: KmsErrors.invalidArnRegion(region) };
  if (resource === 'alias') {
    if (!options.allowAlias) return { error: KmsErrors.invalidKeyId(input) };
    // Other accounts' aliases are not reachable: accounts are isolated here; nor are other partitions'.
    if (accountId !== scope.accountId || partition !== 'aws') return { error: KmsErrors.aliasNotFound(input) };
    return { aliasName: `alias/${name}`, aliasArn: input };
  }
  if (!isKeyId(name)) return { error: KmsErrors.invalidKeyId(name) };
  // Keys of other accounts are not reachable (import operations are never cross-account). Every key here is in the
  // aws partition: an ARN of another (aws-cn, aws-us-gov) names a key that does not exist (UNCONFIRMED for AWS).
  if (accountId !== scope.accountId || partition !== 'aws') return { error: KmsErrors.keyNotFound(input) };
  return { keyId: name };
}
