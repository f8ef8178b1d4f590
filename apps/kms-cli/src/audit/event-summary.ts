import { AliasEventTypes, KeyEventTypes } from '@keyledger/domain';
import type { Json, JsonObject, RecordedEvent } from '@keyledger/event-store';
import { isRefusal } from './audit-row';
import { MASTER_KEY_ROTATED } from './master-key-seals';

const MAX_GENERIC_SUMMARY = 120;

/** Material and token ids are 64-hex hashes or UUIDs: their first 8 characters identify them on screen. */
export const shortId = (id: unknown): string => (typeof id === 'string' && id.length > 8 ? `${id.slice(0, 8)}…` : String(id ?? '?'));

const str = (value: Json | undefined): string => (typeof value === 'string' ? value : value === undefined ? '?' : JSON.stringify(value));

function expiry(data: JsonObject): string {
  if (data.expirationModel === 'KEY_MATERIAL_EXPIRES') return `EXPIRES ${str(data.validTo)}`;
  if (data.expirationModel === 'KEY_MATERIAL_DOES_NOT_EXPIRE') return 'DOES NOT EXPIRE';
  return str(data.expirationModel);
}

const list = (value: Json | undefined): Json[] => (Array.isArray(value) ? value : []);
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Tags as `k=v, k2=v2` (CreateKey/TagResource `Tag` objects), in the order recorded. */
function tagList(tags: Json | undefined): string {
  return list(tags)
    .map((tag) => {
      const t = (tag ?? {}) as JsonObject;
      return `${str(t.TagKey)}=${str(t.TagValue)}`;
    })
    .join(', ');
}

/** ` sealed under master key <id>` when the event names the master key that sealed the material (events since issue 9). */
const sealedUnder = (d: JsonObject): string => (typeof d.sealedUnderMasterKeyId === 'string' ? ` sealed under master key ${d.sealedUnderMasterKeyId}` : '');

function created(d: JsonObject): string {
  const description = d.description ? ` ${JSON.stringify(d.description)}` : '';
  const generated = d.keyMaterialId ? `, generated material ${shortId(d.keyMaterialId)}${sealedUnder(d)}` : '';
  const tags = list(d.tags).length > 0 ? `, tagged ${tagList(d.tags)}` : '';
  const policy = d.policy !== undefined ? ', with its own key policy' : '';
  return `created ${str(d.keySpec)} ${str(d.keyUsage)} origin ${str(d.origin)}${d.multiRegion ? ' multi-Region' : ''}${description}${generated}${tags}${policy}`;
}

function imported(d: JsonObject): string {
  const verb = d.reimport ? 're-imported' : 'imported';
  const state = d.materialState && d.materialState !== 'CURRENT' ? ` as ${str(d.materialState)}` : '';
  const type = d.importType === 'NEW_KEY_MATERIAL' ? '' : ` (${str(d.importType)})`;
  const sealed = sealedUnder(d);
  return `${verb} material ${shortId(d.keyMaterialId)}${state} ${expiry(d)}${type} wrapped ${str(d.wrappingKeySpec)}/${str(d.wrappingAlgorithm)}${sealed && `,${sealed}`}`;
}

function deletionScheduled(d: JsonObject): string {
  const days = typeof d.pendingWindowInDays === 'number' ? ` (${plural(d.pendingWindowInDays, 'day')})` : '';
  return `scheduled deletion for ${str(d.deletionDate)}${days}`;
}

function deleted(d: JsonObject): string {
  const shredded = list(d.keyMaterialIds).length;
  return shredded === 0 ? 'deleted the key (it held no key material)' : `deleted the key and shredded ${plural(shredded, 'key material')}`;
}

function policyPut(d: JsonObject): string {
  const length = typeof d.policy === 'string' ? ` (${plural(d.policy.length, 'character')})` : '';
  return `put key policy ${str(d.policyName)}${length}`;
}

function rotated(d: JsonObject): string {
  const materials = `${shortId(d.keyMaterialId)}${sealedUnder(d)} (was ${shortId(d.previousKeyMaterialId)})`;
  if (d.rotationType === 'ON_DEMAND') return `rotated key material on demand: ${materials}`;
  if (d.rotationType === 'AUTOMATIC') {
    return `rotated key material automatically: ${materials}${d.nextRotationDate ? `, next rotation ${str(d.nextRotationDate)}` : ''}`;
  }
  return `rotated key material (${str(d.rotationType)}): ${materials}`;
}

/** An alias's name, from the event or from its ARN (`arn:aws:kms:<region>:<account>:alias/<name>`). */
function aliasName(d: JsonObject): string {
  if (typeof d.aliasName === 'string') return d.aliasName;
  const arn = typeof d.aliasArn === 'string' ? d.aliasArn : '';
  const at = arn.indexOf(':alias/');
  return at >= 0 ? arn.slice(at + 1) : str(d.aliasArn);
}

const targetOf = (d: JsonObject): string => str(((d.target ?? {}) as JsonObject).keyId);

function aliasDeleted(d: JsonObject): string {
  if (d.reason === 'KeyDeleted') return `deleted alias ${aliasName(d)} with its key ${str(d.targetKeyId)}`;
  return `deleted alias ${aliasName(d)} (it pointed at key ${str(d.targetKeyId)})`;
}

function masterKeyRotated(d: JsonObject): string {
  const from = list(d.fromMasterKeyIds).map(str);
  const remaining = typeof d.remaining === 'number' && d.remaining > 0 ? `; ${plural(d.remaining, 'key material')} still under another master key` : '';
  return `re-sealed ${plural(list(d.rewrapped).length, 'key material')} under master key ${str(d.toMasterKeyId)}${from.length > 0 ? ` (from ${from.join(', ')})` : ''}${remaining}`;
}

function refused(event: RecordedEvent): string {
  const d = event.data;
  const error = d.errorType ?? d.errorCode ?? d.error ?? d.__type;
  const message = d.errorMessage ?? d.message;
  return `refused${error ? `: ${str(error)}` : ''}${message ? ` ${JSON.stringify(message)}` : ''}`;
}

function generic(event: RecordedEvent): string {
  const json = JSON.stringify(event.data);
  return json.length > MAX_GENERIC_SUMMARY ? `${json.slice(0, MAX_GENERIC_SUMMARY - 1)}…` : json;
}

/** One line saying what an event did, e.g. `imported material 3f2a9c01… EXPIRES 2027-09-21T19:00:00.000Z …`. */
export function summarizeEvent(event: RecordedEvent): string {
  const d = event.data;
  switch (event.type) {
    case KeyEventTypes.KeyCreated:
      return created(d);
    case KeyEventTypes.ImportParametersIssued:
      return `import parameters issued ${str(d.wrappingKeySpec)}/${str(d.wrappingAlgorithm)} valid to ${str(d.parametersValidTo)} (token ${shortId(d.importTokenId)})`;
    case KeyEventTypes.KeyMaterialImported:
      return imported(d);
    case KeyEventTypes.KeyMaterialExpired:
      return `material ${shortId(d.keyMaterialId)} expired (valid to ${str(d.validTo)})`;
    case KeyEventTypes.KeyMaterialDeleted:
      return `material ${shortId(d.keyMaterialId)} deleted`;
    case KeyEventTypes.KeyEnabled:
      return 'enabled the key';
    case KeyEventTypes.KeyDisabled:
      return 'disabled the key';
    case KeyEventTypes.KeyDescriptionUpdated:
      return `changed the description to ${JSON.stringify(d.description ?? '')}`;
    case KeyEventTypes.KeyDeletionScheduled:
      return deletionScheduled(d);
    case KeyEventTypes.KeyDeletionCanceled:
      return 'canceled the scheduled deletion';
    case KeyEventTypes.KeyDeleted:
      return deleted(d);
    case KeyEventTypes.KeyTagged:
      return `tagged ${tagList(d.tags)}`;
    case KeyEventTypes.KeyUntagged:
      return `untagged ${list(d.tagKeys).map(str).join(', ')}`;
    case KeyEventTypes.KeyPolicyPut:
      return policyPut(d);
    case KeyEventTypes.KeyRotationEnabled:
      return `enabled automatic rotation every ${plural(Number(d.rotationPeriodInDays), 'day')}, next ${str(d.nextRotationDate)}`;
    case KeyEventTypes.KeyRotationDisabled:
      return 'disabled automatic rotation';
    case KeyEventTypes.KeyMaterialRotated:
      return rotated(d);
    case MASTER_KEY_ROTATED:
      return masterKeyRotated(d);
    case AliasEventTypes.AliasCreated:
      return `created alias ${aliasName(d)} for key ${targetOf(d)}`;
    case AliasEventTypes.AliasRetargeted:
      return `pointed alias ${aliasName(d)} at key ${targetOf(d)} (was ${str(d.previousTargetKeyId)})`;
    case AliasEventTypes.AliasDeleted:
      return aliasDeleted(d);
    default:
      return isRefusal(event) ? refused(event) : generic(event);
  }
}
