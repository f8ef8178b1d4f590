import { KeyEventTypes } from '@keyledger/domain';
import type { Json, JsonObject, RecordedEvent } from '@keyledger/event-store';
import { isRefusal } from './audit-row';

const MAX_GENERIC_SUMMARY = 120;

/** Material and token ids are 64-hex hashes or UUIDs: their first 8 characters identify them on screen. */
export const shortId = (id: unknown): string => (typeof id === 'string' && id.length > 8 ? `${id.slice(0, 8)}…` : String(id ?? '?'));

const str = (value: Json | undefined): string => (typeof value === 'string' ? value : value === undefined ? '?' : JSON.stringify(value));

function expiry(data: JsonObject): string {
  if (data.expirationModel === 'KEY_MATERIAL_EXPIRES') return `EXPIRES ${str(data.validTo)}`;
  if (data.expirationModel === 'KEY_MATERIAL_DOES_NOT_EXPIRE') return 'DOES NOT EXPIRE';
  return str(data.expirationModel);
}

function created(d: JsonObject): string {
  const description = d.description ? ` ${JSON.stringify(d.description)}` : '';
  const generated = d.keyMaterialId ? `, generated material ${shortId(d.keyMaterialId)}` : '';
  return `created ${str(d.keySpec)} ${str(d.keyUsage)} origin ${str(d.origin)}${d.multiRegion ? ' multi-Region' : ''}${description}${generated}`;
}

function imported(d: JsonObject): string {
  const verb = d.reimport ? 're-imported' : 'imported';
  const state = d.materialState && d.materialState !== 'CURRENT' ? ` as ${str(d.materialState)}` : '';
  const type = d.importType === 'NEW_KEY_MATERIAL' ? '' : ` (${str(d.importType)})`;
  return `${verb} material ${shortId(d.keyMaterialId)}${state} ${expiry(d)}${type} wrapped ${str(d.wrappingKeySpec)}/${str(d.wrappingAlgorithm)}`;
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
    default:
      return isRefusal(event) ? refused(event) : generic(event);
  }
}
