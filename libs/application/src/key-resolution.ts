import { resolveKeyId, ResolveOptions, RequestScope } from '@keyledger/domain';

/** Resolves a KeyId member or throws the AWS error for it. */
export function keyIdOrThrow(input: string, scope: RequestScope, options: ResolveOptions): string {
  const resolved = resolveKeyId(input, scope, options);
  if ('error' in resolved) throw resolved.error;
  return resolved.keyId;
}
