import { KmsError, KmsErrors } from '../errors';
import { keyFamily, KeySpec, KeyUsage } from '../key-spec';
import { EpochMillis, fromIso, toIso } from '../time';

/**
 * An alias is its own aggregate with its own stream (`kms-alias-<account>:<region>:<name>`), so the store's
 * optimistic concurrency makes its name unique per account and region, even when two instances create it at
 * the same moment (architecture guide, "Aliases are their own aggregate").
 */
export const ALIAS_STREAM_PREFIX = 'kms-alias-';
export const aliasStreamId = (accountId: string, region: string, aliasName: string): string =>
  `${ALIAS_STREAM_PREFIX}${accountId}:${region}:${aliasName}`;

export const AliasEventTypes = {
  AliasCreated: 'AliasCreated.v1',
  AliasRetargeted: 'AliasRetargeted.v1',
  AliasDeleted: 'AliasDeleted.v1',
} as const;

/** What an alias knows of its target: enough to refuse retargeting it to a key of another type or usage. */
export interface AliasTarget {
  keyId: string;
  keySpec: KeySpec;
  keyUsage: KeyUsage;
}

export interface AliasCreatedData {
  aliasName: string;
  aliasArn: string;
  accountId: string;
  region: string;
  target: AliasTarget;
  creationDate: string;
}

export interface AliasRetargetedData {
  aliasArn: string;
  target: AliasTarget;
  previousTargetKeyId: string;
  lastUpdatedDate: string;
}

export interface AliasDeletedData {
  aliasArn: string;
  targetKeyId: string;
  /** Why: the owner deleted it, or its key was deleted. */
  reason: 'DeleteAlias' | 'KeyDeleted';
}

export type AliasEvent =
  | { type: typeof AliasEventTypes.AliasCreated; data: AliasCreatedData }
  | { type: typeof AliasEventTypes.AliasRetargeted; data: AliasRetargetedData }
  | { type: typeof AliasEventTypes.AliasDeleted; data: AliasDeletedData };

const ALIAS_TYPES = new Set<string>(Object.values(AliasEventTypes));
export const isAliasEventType = (type: string): type is AliasEvent['type'] => ALIAS_TYPES.has(type);

/** An alias that exists now (a deleted alias's stream folds to undefined; the name may be created again). */
export interface AliasState {
  aliasName: string;
  aliasArn: string;
  target: AliasTarget;
  creationDate: EpochMillis;
  lastUpdatedDate: EpochMillis;
}

export function evolveAlias(state: AliasState | undefined, event: AliasEvent): AliasState | undefined {
  switch (event.type) {
    case AliasEventTypes.AliasCreated: {
      const created = fromIso(event.data.creationDate);
      return { aliasName: event.data.aliasName, aliasArn: event.data.aliasArn, target: event.data.target, creationDate: created, lastUpdatedDate: created };
    }
    case AliasEventTypes.AliasRetargeted:
      return state && { ...state, target: event.data.target, lastUpdatedDate: fromIso(event.data.lastUpdatedDate) };
    case AliasEventTypes.AliasDeleted:
      return undefined;
    default:
      return state;
  }
}

export const foldAlias = (events: AliasEvent[]): AliasState | undefined => events.reduce(evolveAlias, undefined);

const notFound = (aliasArn: string) => KmsErrors.aliasNotFound(aliasArn);

/** AWS's text is UNCONFIRMED; all three emulators use the alias ARN in it (reference §9.2). */
export function decideCreateAlias(
  state: AliasState | undefined,
  command: { aliasName: string; aliasArn: string; accountId: string; region: string; target: AliasTarget },
  now: EpochMillis,
): AliasEvent[] {
  if (state) throw new KmsError('AlreadyExistsException', `An alias with the name ${command.aliasArn} already exists`);
  const { aliasName, aliasArn, accountId, region, target } = command;
  return [{ type: AliasEventTypes.AliasCreated, data: { aliasName, aliasArn, accountId, region, target, creationDate: toIso(now) } }];
}

type KeyKind = 'symmetric' | 'asymmetric' | 'HMAC';
const kindOf = (spec: KeySpec): KeyKind => (keyFamily(spec) === 'SYMMETRIC' ? 'symmetric' : keyFamily(spec) === 'HMAC' ? 'HMAC' : 'asymmetric');

/**
 * UpdateAlias may only move an alias to a key of the same type and key usage (model). The texts are local-kms's
 * (UNCONFIRMED for AWS). Pointing it at the key it already names records nothing.
 */
export function decideUpdateAlias(state: AliasState | undefined, command: { aliasArn: string; target: AliasTarget }, now: EpochMillis): AliasEvent[] {
  if (!state) throw notFound(command.aliasArn);
  const from = state.target;
  const to = command.target;
  if (from.keyUsage !== to.keyUsage) {
    throw KmsErrors.validation(
      `Alias ${state.aliasName} cannot be changed from a CMK with key usage ${from.keyUsage} to a CMK with key usage ${to.keyUsage}. The key usage of the current CMK and the new CMK must be the same.`,
    );
  }
  if (kindOf(from.keySpec) !== kindOf(to.keySpec)) {
    throw KmsErrors.validation(
      `Alias ${state.aliasName} cannot be changed from a ${kindOf(from.keySpec)} CMK to a ${kindOf(to.keySpec)} CMK. The current CMK and the new CMK must be the same type.`,
    );
  }
  if (from.keyId === to.keyId) return [];
  return [{ type: AliasEventTypes.AliasRetargeted, data: { aliasArn: state.aliasArn, target: to, previousTargetKeyId: from.keyId, lastUpdatedDate: toIso(now) } }];
}

export function decideDeleteAlias(state: AliasState | undefined, command: { aliasArn: string }): AliasEvent[] {
  if (!state) throw notFound(command.aliasArn);
  return [{ type: AliasEventTypes.AliasDeleted, data: { aliasArn: state.aliasArn, targetKeyId: state.target.keyId, reason: 'DeleteAlias' } }];
}

/** The maintenance job removes the aliases of a deleted key; an alias since moved to another key stays. */
export function decideDeleteAliasOfDeletedKey(state: AliasState | undefined, deletedKeyId: string): AliasEvent[] {
  if (!state || state.target.keyId !== deletedKeyId) return [];
  return [{ type: AliasEventTypes.AliasDeleted, data: { aliasArn: state.aliasArn, targetKeyId: deletedKeyId, reason: 'KeyDeleted' } }];
}
