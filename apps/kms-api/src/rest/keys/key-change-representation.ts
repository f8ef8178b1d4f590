import type { Response } from 'express';
import type { KeyChangeResult, KeyRotationEntry } from '@keyledger/application';
import { KeyState, Tag, toKeyMetadata } from '@keyledger/domain';
import { KeyResource } from '../dto/key-resources.dto';
import { KeyRotationResource, KeyRotationStatusResource, KeyTagResource } from '../dto/lifecycle-resources.dto';
import { toETag } from '../http/etag';
import { toIsoTime } from '../validation/instant';
import { compact } from './crypto-representation';
import { toKeyResource } from './key-representation';

/**
 * Shared by the key-management controllers: a change answers with what the change left (the state in its
 * KeyChangeResult, not a later read), so the body is exactly the revision in its ETag.
 */

/** Sets the ETag of a change: the key stream's revision after it (unchanged when the change recorded nothing). */
export function withRevision<T>(response: Response, result: { revision: number }, body: T): T {
  response.setHeader('ETag', toETag(result.revision));
  return body;
}

/** The key resource as the change left it (`now` only decides whether imported material shows as expired). */
export const keyResourceAfter = (result: KeyChangeResult, now: number): KeyResource => toKeyResource(toKeyMetadata(result.state, now));

export const toTagResources = (tags: Tag[] = []): KeyTagResource[] => tags.map((t) => ({ key: t.TagKey, value: t.TagValue }));

/** GetKeyRotationStatus's rule (key-queries.ts): off while pending deletion, the setting comes back on cancel. */
export function rotationStatusOf(state: KeyState): KeyRotationStatusResource {
  if (!state.rotation || state.deletion) return { enabled: false };
  return { enabled: true, rotationPeriodInDays: state.rotation.rotationPeriodInDays, nextRotationDate: toIsoTime(state.rotation.nextRotationDate) };
}

/** ListKeyRotations' entry as the AWS endpoint shapes it (lifecycle-operations.ts): import details only for EXTERNAL keys. */
export function toRotationResource({ material, origin }: KeyRotationEntry): KeyRotationResource {
  const external = origin === 'EXTERNAL';
  const imported = material.importState === 'IMPORTED';
  return compact({
    keyMaterialId: material.keyMaterialId,
    keyMaterialState: material.materialState,
    importState: external ? material.importState : undefined,
    expirationModel: external && imported ? material.expirationModel : undefined,
    validTo: external && imported && material.validTo !== undefined ? toIsoTime(material.validTo) : undefined,
    rotationDate: material.rotationDate === undefined ? undefined : toIsoTime(material.rotationDate),
    rotationType: material.rotationType,
    keyMaterialDescription: external ? material.description : undefined,
  });
}
