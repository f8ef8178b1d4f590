import {
  CancelKeyDeletion,
  DisableKey,
  DisableKeyRotation,
  EnableKey,
  EnableKeyRotation,
  GetKeyPolicy,
  GetKeyRotationStatus,
  KeyChangeResult,
  KeyRotationEntry,
  KeyRotationStatus,
  ListKeyPolicies,
  ListKeyRotations,
  ListResourceTags,
  PutKeyPolicy,
  RotateKeyOnDemand,
  ScheduleKeyDeletion,
  TagResource,
  UntagResource,
  UpdateKeyDescription,
} from '@keyledger/application';
import { Tag } from '@keyledger/domain';
import {
  EnableKeyRotationRequest,
  GetKeyPolicyRequest,
  KeyIdRequest,
  ListKeyPoliciesRequest,
  ListKeyRotationsRequest,
  ListResourceTagsRequest,
  PutKeyPolicyRequest,
  ScheduleKeyDeletionRequest,
  TagResourceRequest,
  UntagResourceRequest,
  UpdateKeyDescriptionRequest,
} from '../dto/lifecycle.dto';
import { compact, toTimestamp } from '../wire';
import { Operation, operation } from './operation';

/** Changes that answer `{}`. */
const EMPTY = {};

/** ListResourceTags' documented page size is 1..50 (the model allows 1000); the default is 50. */
const MAX_TAG_PAGE = 50;

function rotationEntry({ keyId, material, origin }: KeyRotationEntry): object {
  const external = origin === 'EXTERNAL';
  const imported = material.importState === 'IMPORTED';
  return compact({
    KeyId: keyId,
    KeyMaterialId: material.keyMaterialId,
    KeyMaterialDescription: external ? material.description : undefined,
    ImportState: external ? material.importState : undefined,
    KeyMaterialState: material.materialState,
    ExpirationModel: external && imported ? material.expirationModel : undefined,
    ValidTo: external && imported && material.validTo !== undefined ? toTimestamp(material.validTo) : undefined,
    RotationDate: material.rotationDate === undefined ? undefined : toTimestamp(material.rotationDate),
    RotationType: material.rotationType,
  });
}

export const LIFECYCLE_OPERATIONS: Record<string, Operation> = {
  EnableKey: operation(KeyIdRequest, async (req, ctx, { commands }) => {
    await commands.execute(new EnableKey(ctx, { keyId: req.KeyId }));
    return EMPTY;
  }),

  DisableKey: operation(KeyIdRequest, async (req, ctx, { commands }) => {
    await commands.execute(new DisableKey(ctx, { keyId: req.KeyId }));
    return EMPTY;
  }),

  UpdateKeyDescription: operation(UpdateKeyDescriptionRequest, async (req, ctx, { commands }) => {
    await commands.execute(new UpdateKeyDescription(ctx, { keyId: req.KeyId, description: req.Description }));
    return EMPTY;
  }),

  ScheduleKeyDeletion: operation(ScheduleKeyDeletionRequest, async (req, ctx, { commands }) => {
    const result: KeyChangeResult = await commands.execute(new ScheduleKeyDeletion(ctx, { keyId: req.KeyId, pendingWindowInDays: req.PendingWindowInDays }));
    const deletion = result.state.deletion!;
    return {
      KeyId: result.keyArn,
      DeletionDate: toTimestamp(deletion.deletionDate),
      KeyState: 'PendingDeletion',
      PendingWindowInDays: deletion.pendingWindowInDays,
    };
  }),

  CancelKeyDeletion: operation(KeyIdRequest, async (req, ctx, { commands }) => {
    const result: KeyChangeResult = await commands.execute(new CancelKeyDeletion(ctx, { keyId: req.KeyId }));
    return { KeyId: result.keyArn };
  }),

  TagResource: operation(TagResourceRequest, async (req, ctx, { commands }) => {
    await commands.execute(new TagResource(ctx, { keyId: req.KeyId, tags: req.Tags.map(({ TagKey, TagValue }) => ({ TagKey, TagValue })) }));
    return EMPTY;
  }),

  UntagResource: operation(UntagResourceRequest, async (req, ctx, { commands }) => {
    await commands.execute(new UntagResource(ctx, { keyId: req.KeyId, tagKeys: req.TagKeys }));
    return EMPTY;
  }),

  ListResourceTags: operation(ListResourceTagsRequest, async (req, ctx, { queries }) => {
    const limit = Math.min(req.Limit ?? MAX_TAG_PAGE, MAX_TAG_PAGE);
    const page: { tags: Tag[]; nextMarker?: string } = await queries.execute(new ListResourceTags(ctx, { keyId: req.KeyId, limit, marker: req.Marker }));
    return compact({ Tags: page.tags, NextMarker: page.nextMarker, Truncated: page.nextMarker !== undefined });
  }),

  GetKeyPolicy: operation(GetKeyPolicyRequest, async (req, ctx, { queries }) => {
    const result: { policy: string; policyName: string } = await queries.execute(new GetKeyPolicy(ctx, { keyId: req.KeyId, policyName: req.PolicyName }));
    return { Policy: result.policy, PolicyName: result.policyName };
  }),

  PutKeyPolicy: operation(PutKeyPolicyRequest, async (req, ctx, { commands }) => {
    await commands.execute(new PutKeyPolicy(ctx, { keyId: req.KeyId, policyName: req.PolicyName, policy: req.Policy }));
    return EMPTY;
  }),

  ListKeyPolicies: operation(ListKeyPoliciesRequest, async (req, ctx, { queries }) => {
    const PolicyNames: string[] = await queries.execute(new ListKeyPolicies(ctx, { keyId: req.KeyId }));
    return { PolicyNames, Truncated: false };
  }),

  EnableKeyRotation: operation(EnableKeyRotationRequest, async (req, ctx, { commands }) => {
    await commands.execute(new EnableKeyRotation(ctx, { keyId: req.KeyId, rotationPeriodInDays: req.RotationPeriodInDays }));
    return EMPTY;
  }),

  DisableKeyRotation: operation(KeyIdRequest, async (req, ctx, { commands }) => {
    await commands.execute(new DisableKeyRotation(ctx, { keyId: req.KeyId }));
    return EMPTY;
  }),

  GetKeyRotationStatus: operation(KeyIdRequest, async (req, ctx, { queries }) => {
    const status: KeyRotationStatus = await queries.execute(new GetKeyRotationStatus(ctx, { keyId: req.KeyId }));
    return compact({
      KeyId: status.keyArn,
      KeyRotationEnabled: status.enabled,
      RotationPeriodInDays: status.rotationPeriodInDays,
      NextRotationDate: status.nextRotationDate === undefined ? undefined : toTimestamp(status.nextRotationDate),
    });
  }),

  RotateKeyOnDemand: operation(KeyIdRequest, async (req, ctx, { commands }) => {
    const result: KeyChangeResult = await commands.execute(new RotateKeyOnDemand(ctx, { keyId: req.KeyId }));
    return { KeyId: result.keyArn };
  }),

  ListKeyRotations: operation(ListKeyRotationsRequest, async (req, ctx, { queries }) => {
    const page: { entries: KeyRotationEntry[]; nextMarker?: string } = await queries.execute(
      new ListKeyRotations(ctx, { keyId: req.KeyId, includeKeyMaterial: req.IncludeKeyMaterial, limit: req.Limit ?? 100, marker: req.Marker }),
    );
    return compact({ Rotations: page.entries.map(rotationEntry), NextMarker: page.nextMarker, Truncated: page.nextMarker !== undefined });
  }),
};
