import { createHash } from 'node:crypto';
import type { Principal } from '@keyledger/domain';
import type { Json as JsonValue, JsonObject, RecordedEvent } from '@keyledger/event-store';
import { isUsageEventType, usageRecordsOf } from '../../../../libs/application/src/usage/usage-batch';
import { eventTime, isAliasEvent, isRefusal, principalOf } from '../audit/audit-row';

/**
 * The audit trail as AWS CloudTrail records (docs/cli.md, "CloudTrail export"; the field list of
 * kms-api-reference.md §13), so the tools reviewers already use for CloudTrail read it. Built from the log's
 * own data: ids, names, times, algorithms and outcomes. Nothing secret is in the log to begin with (no material,
 * wrapped or plain, no import token, no public key, no plaintext, no ciphertext), and only named members of
 * each event are copied, so nothing else can slip through.
 */
export interface CloudTrailRecord {
  eventVersion: string;
  userIdentity: JsonObject;
  eventTime: string;
  eventSource: 'kms.amazonaws.com';
  eventName: string;
  awsRegion: string;
  sourceIPAddress?: string;
  userAgent?: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: JsonObject | null;
  responseElements: JsonObject | null;
  additionalEventData?: JsonObject;
  serviceEventDetails?: JsonObject;
  requestID: string;
  eventID: string;
  readOnly: boolean;
  resources: Array<{ accountId: string; type: 'AWS::KMS::Key'; ARN: string }>;
  eventType: 'AwsApiCall' | 'AwsServiceEvent';
  managementEvent: true;
  recipientAccountId: string;
  eventCategory: 'Management';
}

export const CLOUDTRAIL_EVENT_VERSION = '1.11';

const READ_ONLY = /^(Get|Describe|List|Encrypt|Decrypt|ReEncrypt|GenerateDataKey|GenerateMac|VerifyMac|Verify|Sign|DeriveSharedSecret|GenerateRandom)/;
/** Service events by the event that records them (AWS's names for what KMS does on its own). */
const SERVICE_EVENT_NAMES: Record<string, string> = {
  'KeyMaterialExpired.v1': 'DeleteExpiredKeyMaterial',
  'KeyDeleted.v1': 'DeleteKey',
  'KeyMaterialRotated.v1': 'RotateKey',
  'AliasDeleted.v1': 'DeleteAlias',
};

const str = (value: JsonValue | undefined): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const obj = (value: JsonValue | undefined): JsonObject | undefined => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined);
/** Leaves out members that are undefined (CloudTrail omits what a request did not send). */
const compact = (object: Record<string, JsonValue | undefined>): JsonObject =>
  Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as JsonObject;

/** CloudTrail times have seconds, not milliseconds: `2025-05-21T05:42:31Z`. */
export const cloudTrailTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** ImportKeyMaterial's validTo as CloudTrail renders it: `May 21, 2025, 5:47:45 AM` (UTC). */
export function humanDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const month = date.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const time = date.toLocaleString('en-US', { hour: 'numeric', minute: '2-digit', second: '2-digit', hour12: true, timeZone: 'UTC' });
  return `${month} ${date.getUTCDate()}, ${date.getUTCFullYear()}, ${time}`;
}

/** A stable event id: the same log exported twice gives the same ids (a UUID-shaped SHA-256 of where the record comes from). */
export function eventIdOf(source: string): string {
  const hex = createHash('sha256').update(`keyledger:cloudtrail:${source}`).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const keyArn = (accountId: string, region: string, keyId: string): string => `arn:aws:kms:${region}:${accountId}:key/${keyId}`;

/** Who called, as CloudTrail names them; Keyledger's own jobs are `AWS Internal`, as KMS's are. */
function userIdentity(principal: Principal | undefined, accountId: string): JsonObject {
  if (!principal || principal.type === 'Service') return { accountId, invokedBy: 'AWS Internal' };
  const name = principal.name;
  const arn = name?.startsWith('arn:') ? name : undefined;
  const type = arn?.endsWith(':root') ? 'Root' : arn && /:(assumed-role|role)\//.test(arn) ? 'AssumedRole' : 'IAMUser';
  return compact({
    type,
    principalId: principal.accessKeyId,
    arn,
    accountId: principal.accountId,
    accessKeyId: principal.accessKeyId,
    userName: type === 'IAMUser' ? (arn ? arn.slice(arn.lastIndexOf('/') + 1) : name) : undefined,
  });
}

const tagList = (tags: JsonValue | undefined): JsonValue | undefined =>
  Array.isArray(tags) && tags.length > 0 ? tags.map((t) => ({ tagKey: str(obj(t)?.TagKey) ?? '', tagValue: str(obj(t)?.TagValue) ?? '' })) : undefined;

/** requestParameters and responseElements of a key's API call, from the data of the events it recorded. */
function keyCall(eventName: string, keyId: string, arn: string, data: JsonObject): { request: JsonObject; response: JsonObject | null } {
  switch (eventName) {
    case 'CreateKey':
      return {
        request: compact({ description: str(data.description), keySpec: str(data.keySpec), keyUsage: str(data.keyUsage), origin: str(data.origin), multiRegion: data.multiRegion, tags: tagList(data.tags) }),
        response: {
          keyMetadata: compact({
            aWSAccountId: str(data.accountId),
            keyId,
            arn,
            creationDate: str(data.creationDate),
            description: str(data.description),
            keySpec: str(data.keySpec),
            keyUsage: str(data.keyUsage),
            origin: str(data.origin),
            multiRegion: data.multiRegion,
            keyManager: 'CUSTOMER',
          }),
        },
      };
    case 'GetParametersForImport':
      return { request: compact({ keyId, wrappingAlgorithm: str(data.wrappingAlgorithm), wrappingKeySpec: str(data.wrappingKeySpec) }), response: null };
    case 'ImportKeyMaterial':
      return {
        request: compact({
          keyId,
          validTo: str(data.validTo) && humanDate(str(data.validTo)!),
          expirationModel: str(data.expirationModel),
          importType: str(data.importType),
          keyMaterialDescription: str(data.keyMaterialDescription),
        }),
        response: compact({ keyId: arn, keyMaterialId: str(data.keyMaterialId) }),
      };
    case 'DeleteImportedKeyMaterial':
      return { request: compact({ keyId, keyMaterialId: str(data.keyMaterialId) }), response: compact({ keyId: arn, keyMaterialId: str(data.keyMaterialId) }) };
    case 'ScheduleKeyDeletion':
      return {
        request: compact({ keyId, pendingWindowInDays: data.pendingWindowInDays }),
        response: compact({ keyId: arn, deletionDate: str(data.deletionDate), keyState: 'PendingDeletion', pendingWindowInDays: data.pendingWindowInDays }),
      };
    case 'CancelKeyDeletion':
    case 'RotateKeyOnDemand':
      return { request: { keyId }, response: { keyId: arn } };
    case 'UpdateKeyDescription':
      return { request: compact({ keyId, description: str(data.description) ?? '' }), response: null };
    case 'TagResource':
      return { request: compact({ keyId, tags: tagList(data.tags) }), response: null };
    case 'UntagResource':
      return { request: compact({ keyId, tagKeys: data.tagKeys }), response: null };
    case 'PutKeyPolicy':
      return { request: compact({ keyId, policyName: str(data.policyName), policy: str(data.policy) }), response: null };
    case 'EnableKeyRotation':
      return { request: compact({ keyId, rotationPeriodInDays: data.rotationPeriodInDays }), response: null };
    default:
      return { request: { keyId }, response: null };
  }
}

function serviceDetails(type: string, keyId: string, data: JsonObject): JsonObject {
  if (type === 'KeyMaterialRotated.v1') {
    return compact({ rotationType: str(data.rotationType), previousKeyMaterialId: str(data.previousKeyMaterialId), currentKeyMaterialId: str(data.keyMaterialId), keyId });
  }
  if (type === 'KeyDeleted.v1') return compact({ keyId, deletionDate: str(data.deletionDate) });
  if (type === 'AliasDeleted.v1') return compact({ keyId, aliasArn: str(data.aliasArn) });
  return compact({ keyId, keyMaterialId: str(data.keyMaterialId) });
}

interface Envelope {
  accountId: string;
  region: string;
  requestId: string;
  principal?: Principal;
  time: number;
}

function base(envelope: Envelope, eventName: string, eventId: string, keyArns: string[], service: boolean): CloudTrailRecord {
  const { accountId, region } = envelope;
  return {
    eventVersion: CLOUDTRAIL_EVENT_VERSION,
    userIdentity: userIdentity(service ? undefined : envelope.principal, accountId),
    eventTime: cloudTrailTime(envelope.time),
    eventSource: 'kms.amazonaws.com',
    eventName,
    awsRegion: region,
    ...(service && { sourceIPAddress: 'AWS Internal', userAgent: 'AWS Internal' }),
    requestParameters: null,
    responseElements: null,
    requestID: envelope.requestId,
    eventID: eventId,
    readOnly: READ_ONLY.test(eventName),
    resources: [...new Set(keyArns)].map((ARN) => ({ accountId, type: 'AWS::KMS::Key' as const, ARN })),
    eventType: service ? 'AwsServiceEvent' : 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: accountId,
    eventCategory: 'Management',
  };
}

function envelopeOf(event: RecordedEvent): Envelope | undefined {
  const accountId = str(event.metadata.accountId);
  const region = str(event.metadata.region);
  if (!accountId || !region) return undefined; // log digests: not KMS calls
  return { accountId, region, requestId: str(event.metadata.requestId) ?? eventIdOf(`request:${event.streamId}:${event.revision}`), principal: principalOf(event), time: eventTime(event) };
}

/** One API call or service event recorded by one or more consecutive events of one stream (one request, one principal). */
export function keyEventRecord(events: RecordedEvent[]): CloudTrailRecord | undefined {
  const [first] = events;
  const envelope = envelopeOf(first);
  if (!envelope) return undefined;
  const service = envelope.principal?.type === 'Service';
  const data = Object.assign({}, ...events.map((e) => e.data)) as JsonObject;
  const id = eventIdOf(`${first.streamId}:${first.revision}`);
  if (isAliasEvent(first)) {
    const targetKeyId = str(obj(data.target)?.keyId) ?? str(data.targetKeyId);
    const aliasName = str(data.aliasName) ?? str(data.aliasArn)?.replace(/^arn:[^:]+:kms:[^:]*:\d+:/, '');
    const eventName = service ? 'DeleteAlias' : (str(first.metadata.operation) ?? 'UpdateAlias');
    const keys = [targetKeyId, str(data.previousTargetKeyId)].filter((k): k is string => k !== undefined);
    const record = base(envelope, eventName, id, keys.map((k) => keyArn(envelope.accountId, envelope.region, k)), service);
    if (service) return { ...record, serviceEventDetails: compact({ aliasName, keyId: targetKeyId }) };
    return { ...record, requestParameters: compact({ aliasName, targetKeyId: eventName === 'DeleteAlias' ? undefined : targetKeyId }) };
  }
  const keyId = first.streamId.replace(/^kms-key-/, '');
  const arn = keyArn(envelope.accountId, envelope.region, keyId);
  if (service) {
    const eventName = SERVICE_EVENT_NAMES[first.type] ?? str(first.metadata.operation) ?? first.type.replace(/\.v\d+$/, '');
    return { ...base(envelope, eventName, id, [arn], true), serviceEventDetails: serviceDetails(first.type, keyId, data) };
  }
  const eventName = str(first.metadata.operation) ?? first.type.replace(/\.v\d+$/, '');
  const { request, response } = keyCall(eventName, keyId, arn, data);
  return { ...base(envelope, eventName, id, [arn], false), requestParameters: request, responseElements: response };
}

/** Parameters a refusal keeps (the allow-list of libs/audit) under their CloudTrail names. */
const REFUSAL_PARAMETERS = ['wrappingAlgorithm', 'wrappingKeySpec', 'expirationModel', 'validTo', 'importType', 'keyMaterialDescription', 'keyMaterialId'];

/** A refused call: the request as far as it was recorded, errorCode and errorMessage, no response. */
export function refusalRecord(event: RecordedEvent): CloudTrailRecord | undefined {
  const envelope = envelopeOf(event);
  if (!envelope) return undefined;
  const { data } = event;
  const parameters = obj(data.parameters) ?? {};
  const keyId = str(data.keyId);
  const request = compact({
    keyId: str(data.requestedKeyId) ?? keyId,
    ...Object.fromEntries(REFUSAL_PARAMETERS.map((name) => [name, name === 'validTo' && str(parameters[name]) ? humanDate(str(parameters[name])!) : parameters[name]])),
  });
  const eventName = str(data.operation) ?? str(event.metadata.operation) ?? 'Unknown';
  const arns = keyId ? [keyArn(envelope.accountId, envelope.region, keyId)] : [];
  return {
    ...base(envelope, eventName, eventIdOf(`${event.streamId}:${event.revision}`), arns, false),
    errorCode: str(data.errorType) ?? 'Refused',
    ...(str(data.errorMessage) && { errorMessage: str(data.errorMessage) }),
    requestParameters: request,
  };
}

/** Each use in a usage batch (Encrypt, Decrypt, Sign, ...), with errorCode for refused attempts. */
export function usageRecords(event: RecordedEvent): CloudTrailRecord[] {
  const records = (usageRecordsOf(event) ?? []) as JsonValue[];
  return records.flatMap((raw, index) => {
    const use = obj(raw);
    const accountId = str(use?.accountId);
    const region = str(use?.region);
    const time = Date.parse(str(use?.time) ?? '');
    if (!use || !accountId || !region || Number.isNaN(time)) return [];
    const envelope: Envelope = { accountId, region, time, requestId: str(use.requestId) ?? '', principal: obj(use.principal) as unknown as Principal | undefined };
    const arn = str(use.keyArn) ?? keyArn(accountId, region, str(use.keyId) ?? '');
    const record = base(envelope, str(use.operation) ?? 'Unknown', eventIdOf(`${event.streamId}:${event.revision}:${index}`), [arn], false);
    return [
      {
        ...record,
        ...(use.outcome === 'Refused' && { errorCode: str(use.errorType) ?? 'Refused' }),
        requestParameters: { keyId: arn },
        ...(str(use.keyMaterialId) && { additionalEventData: { keyMaterialId: str(use.keyMaterialId)! } }),
      },
    ];
  });
}

export const isUsageEvent = (event: RecordedEvent): boolean => isUsageEventType(event.type);
export { isRefusal };
