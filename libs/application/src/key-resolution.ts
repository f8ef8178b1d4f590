import { Inject, Injectable } from '@nestjs/common';
import { AliasState, aliasStreamId, foldAlias, isAliasEventType, AliasEvent, KmsErrors, resolveKeyId, RequestScope } from '@keyledger/domain';
import { EventStore, RecordedEvent } from '@keyledger/event-store';
import { EVENT_STORE } from './ports';

/**
 * Resolves a KeyId member that may only name a key (key id or key ARN) or throws the AWS error for it.
 * Operations that also accept aliases use KeyResolver.
 */
export function keyIdOrThrow(input: string, scope: RequestScope, options: { allowAlias: false }): string {
  const resolved = resolveKeyId(input, scope, options);
  if ('error' in resolved) throw resolved.error;
  if (!('keyId' in resolved)) throw KmsErrors.invalidKeyId(input);
  return resolved.keyId;
}

export interface LoadedAlias {
  state: AliasState | undefined;
  /** The alias stream's revision (-1: never existed), for appending with optimistic concurrency. */
  revision: number;
}

export const toAliasEvents = (recorded: RecordedEvent[]): AliasEvent[] =>
  recorded.filter((e) => isAliasEventType(e.type)).map((e) => ({ type: e.type, data: e.data }) as unknown as AliasEvent);

/**
 * Resolves KeyId members that may name an alias, by reading the alias's own stream: an alias change is seen by
 * the next request on any instance, with no read-model lag.
 */
@Injectable()
export class KeyResolver {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async keyId(input: string, scope: RequestScope, options: { allowAlias: boolean }): Promise<string> {
    const resolved = resolveKeyId(input, scope, options);
    if ('error' in resolved) throw resolved.error;
    if ('keyId' in resolved) return resolved.keyId;
    const { state } = await this.alias(scope, resolved.aliasName);
    if (!state) throw KmsErrors.aliasNotFound(resolved.aliasArn);
    return state.target.keyId;
  }

  async alias(scope: RequestScope, aliasName: string): Promise<LoadedAlias> {
    const recorded = await this.store.readStream(aliasStreamId(scope.accountId, scope.region, aliasName));
    return { state: foldAlias(toAliasEvents(recorded)), revision: recorded.length === 0 ? -1 : recorded[recorded.length - 1].revision };
  }
}
