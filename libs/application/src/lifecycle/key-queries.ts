import { Inject, Injectable } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import {
  checkPolicyName,
  DEFAULT_POLICY_NAME,
  defaultKeyPolicy,
  effectiveState,
  keyArn,
  KeyAttributes,
  keyFamily,
  KeyOperation,
  KeyState,
  KmsError,
  MaterialRecord,
  requireKeyInState,
  RequestScope,
  Tag,
} from '@keyledger/domain';
import { keyIdOrThrow } from '../key-resolution';
import { CLOCK, Clock, KEY_READ_MODEL, KeyReadModel } from '../ports';

const invalidMarker = () =>
  new KmsError('InvalidMarkerException', 'The request was rejected because the marker that specifies where pagination should next begin is not valid.');

/** Markers of the per-key lists are an offset, opaque to clients. */
const encodeMarker = (offset: number): string => Buffer.from(`klo1:${offset}`).toString('base64url');
function decodeMarker(marker: string | undefined): number {
  if (marker === undefined) return 0;
  const match = /^klo1:(\d+)$/.exec(Buffer.from(marker, 'base64url').toString('utf8'));
  if (!match) throw invalidMarker();
  return Number(match[1]);
}

export function page<T>(items: T[], limit: number, marker?: string): { items: T[]; nextMarker?: string } {
  const start = decodeMarker(marker);
  const end = start + limit;
  return { items: items.slice(start, end), nextMarker: end < items.length ? encodeMarker(end) : undefined };
}

/** The key a settings query names (id or ARN only), read from the key read model, in a state that allows it. */
@Injectable()
abstract class KeySettingsQueryHandler {
  constructor(
    @Inject(KEY_READ_MODEL) protected readonly keys: KeyReadModel,
    @Inject(CLOCK) protected readonly clock: Clock,
  ) {}

  protected async key(scope: RequestScope, input: string, operation: KeyOperation): Promise<{ key: KeyAttributes; state: KeyState }> {
    const keyId = keyIdOrThrow(input, scope, { allowAlias: false });
    const now = this.clock.now();
    const state = effectiveState((await this.keys.findKey(scope, keyId)) ?? { enabled: false, materials: [] }, now);
    return { key: requireKeyInState(state, keyArn(scope, keyId), operation, now), state };
  }
}

export class ListResourceTags {
  constructor(
    readonly scope: RequestScope,
    readonly input: { keyId: string; limit: number; marker?: string },
  ) {}
}

@QueryHandler(ListResourceTags)
export class ListResourceTagsHandler extends KeySettingsQueryHandler implements IQueryHandler<ListResourceTags, { tags: Tag[]; nextMarker?: string }> {
  async execute({ scope, input }: ListResourceTags) {
    const { state } = await this.key(scope, input.keyId, 'ListResourceTags');
    const { items, nextMarker } = page(state.tags ?? [], input.limit, input.marker);
    return { tags: items, nextMarker };
  }
}

export class GetKeyPolicy {
  constructor(
    readonly scope: RequestScope,
    readonly input: { keyId: string; policyName?: string },
  ) {}
}

/** The stored policy, or AWS's default policy for a key created without one. Policies are not evaluated. */
@QueryHandler(GetKeyPolicy)
export class GetKeyPolicyHandler extends KeySettingsQueryHandler implements IQueryHandler<GetKeyPolicy, { policy: string; policyName: string }> {
  async execute({ scope, input }: GetKeyPolicy) {
    const { key, state } = await this.key(scope, input.keyId, 'GetKeyPolicy');
    checkPolicyName(input.policyName);
    return { policy: state.policy ?? defaultKeyPolicy(key.accountId), policyName: DEFAULT_POLICY_NAME };
  }
}

export class ListKeyPolicies {
  constructor(
    readonly scope: RequestScope,
    readonly input: { keyId: string },
  ) {}
}

@QueryHandler(ListKeyPolicies)
export class ListKeyPoliciesHandler extends KeySettingsQueryHandler implements IQueryHandler<ListKeyPolicies, string[]> {
  async execute({ scope, input }: ListKeyPolicies) {
    await this.key(scope, input.keyId, 'ListKeyPolicies');
    return [DEFAULT_POLICY_NAME];
  }
}

export class GetKeyRotationStatus {
  constructor(
    readonly scope: RequestScope,
    readonly input: { keyId: string },
  ) {}
}

export interface KeyRotationStatus {
  keyArn: string;
  enabled: boolean;
  rotationPeriodInDays?: number;
  nextRotationDate?: number;
}

/**
 * Asymmetric, HMAC and imported-material keys "will always be false" (reference §13.2 and the recommendation of
 * Appendix B #28, in every key state). A key pending deletion reads false and gets its setting back when the
 * deletion is canceled.
 */
@QueryHandler(GetKeyRotationStatus)
export class GetKeyRotationStatusHandler extends KeySettingsQueryHandler implements IQueryHandler<GetKeyRotationStatus, KeyRotationStatus> {
  async execute({ scope, input }: GetKeyRotationStatus): Promise<KeyRotationStatus> {
    const { key, state } = await this.key(scope, input.keyId, 'GetKeyRotationStatus');
    if (!state.rotation || state.deletion) return { keyArn: key.arn, enabled: false };
    return { keyArn: key.arn, enabled: true, rotationPeriodInDays: state.rotation.rotationPeriodInDays, nextRotationDate: state.rotation.nextRotationDate };
  }
}

export class ListKeyRotations {
  constructor(
    readonly scope: RequestScope,
    readonly input: { keyId: string; includeKeyMaterial?: 'ALL_KEY_MATERIAL' | 'ROTATIONS_ONLY'; limit: number; marker?: string },
  ) {}
}

export interface KeyRotationEntry {
  keyId: string;
  material: MaterialRecord;
  origin: KeyAttributes['origin'];
}

/**
 * The key's rotations (materials that became current by rotation), oldest first; ALL_KEY_MATERIAL adds the first
 * material and material pending rotation. Only symmetric keys rotate: others get UnsupportedOperationException.
 */
@QueryHandler(ListKeyRotations)
export class ListKeyRotationsHandler extends KeySettingsQueryHandler implements IQueryHandler<ListKeyRotations, { entries: KeyRotationEntry[]; nextMarker?: string }> {
  async execute({ scope, input }: ListKeyRotations) {
    const { key, state } = await this.key(scope, input.keyId, 'ListKeyRotations');
    if (keyFamily(key.keySpec) !== 'SYMMETRIC') throw new KmsError('UnsupportedOperationException', '');
    const all = input.includeKeyMaterial === 'ALL_KEY_MATERIAL';
    const materials = state.materials.filter((m) => all || m.rotationDate !== undefined);
    const ordered = [...materials].sort((a, b) => rank(a) - rank(b));
    const { items, nextMarker } = page(ordered, input.limit, input.marker);
    return { entries: items.map((material) => ({ keyId: key.keyId, material, origin: key.origin })), nextMarker };
  }
}

/** First material, then rotations in date order, then material pending rotation. */
const rank = (m: MaterialRecord): number => (m.materialState === 'PENDING_ROTATION' ? Number.MAX_SAFE_INTEGER : (m.rotationDate ?? 0));

export const KEY_SETTINGS_QUERY_HANDLERS = [
  ListResourceTagsHandler,
  GetKeyPolicyHandler,
  ListKeyPoliciesHandler,
  GetKeyRotationStatusHandler,
  ListKeyRotationsHandler,
];
