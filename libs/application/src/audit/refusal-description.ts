import { refusalStreamForAccount, refusalStreamForKey, RefusalParameters, RequestRefusedData } from '@keyledger/audit';
import { isKeyId, isKmsError, KmsError, KmsErrorType } from '@keyledger/domain';
import type { RequestContext } from '../request-context';
import type { RefusalFacts } from './refusal-facts';

/**
 * Which refusals the audit trail records: every KmsError a command that names a key ends with, except
 * - ValidationException: the request broke a rule of the API's own (a ValidTo in the past, an enum value), which
 *   says nothing about the key or its material and would mostly record clients' typos;
 * - KMSInternalException: the service failed, the request was not refused.
 * CreateKey names no key: its refusals are request validation on a key that never exists, and are not recorded.
 */
const NOT_RECORDED: ReadonlySet<KmsErrorType> = new Set(['ValidationException', 'KMSInternalException']);

/**
 * Request members copied into a refusal, by name; anything else (tokens, wrapped material, ciphertext, any blob)
 * is never copied. Values must be plain strings, numbers or booleans.
 */
const RECORDED_MEMBERS = ['wrappingAlgorithm', 'wrappingKeySpec', 'expirationModel', 'validTo', 'importType', 'keyMaterialDescription', 'keyMaterialId'] as const;
/** Caps what a caller can write into the log through one refusal. */
const MAX_TEXT = 2048;

export interface RefusalToRecord {
  streamId: string;
  ctx: RequestContext;
  data: RequestRefusedData;
}

/** A command sent by a caller (not by one of Keyledger's jobs) that names a key. */
interface KeyRequestCommand {
  ctx: RequestContext;
  input: { keyId: string } & Record<string, unknown>;
}

function isKeyRequestCommand(command: unknown): command is KeyRequestCommand {
  const candidate = command as Partial<KeyRequestCommand> | null;
  return (
    typeof candidate?.ctx?.requestId === 'string' &&
    typeof candidate.ctx.principal === 'object' &&
    typeof candidate.input === 'object' &&
    candidate.input !== null &&
    typeof candidate.input.keyId === 'string'
  );
}

/** The refusal to record for a command that failed with `error`, or undefined when it is not one to record. */
export function describeRefusal(command: unknown, error: unknown, facts?: RefusalFacts): RefusalToRecord | undefined {
  if (!isKmsError(error) || NOT_RECORDED.has(error.type) || !isKeyRequestCommand(command)) return undefined;
  const { ctx, input } = command;
  const keyId = facts?.keyId ?? keyIdNamedBy(input.keyId);
  const data: RequestRefusedData = {
    operation: ctx.operation,
    ...(keyId !== undefined && { keyId }),
    requestedKeyId: capped(input.keyId),
    parameters: { ...requestParameters(input), ...factParameters(facts) },
    errorType: (error as KmsError).type,
    errorMessage: capped(error.message),
    ...(facts && facts.keyRevision >= 0 && { keyRevision: facts.keyRevision }),
  };
  return { streamId: keyId !== undefined ? refusalStreamForKey(keyId) : refusalStreamForAccount(ctx.accountId), ctx, data };
}

const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]*:[0-9]*:key\/(.+)$/;

/** The key id a KeyId member names (bare, or in a key ARN of any account), so probes of others' keys are filed under that key. */
export function keyIdNamedBy(requested: string): string | undefined {
  if (isKeyId(requested)) return requested;
  const arn = KEY_ARN.exec(requested);
  return arn && isKeyId(arn[1]) ? arn[1] : undefined;
}

function requestParameters(input: Record<string, unknown>): RefusalParameters {
  const parameters: RefusalParameters = {};
  for (const name of RECORDED_MEMBERS) {
    const value = input[name];
    if (name === 'validTo' && typeof value === 'number' && Number.isFinite(value)) parameters.validTo = new Date(value).toISOString();
    else if (typeof value === 'string') parameters[name] = capped(value);
    else if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) parameters[name] = value;
  }
  return parameters;
}

/** What opening the import token revealed (its id and what it was issued for); the token itself is never kept. */
function factParameters(facts: RefusalFacts | undefined): RefusalParameters {
  if (facts?.command.kind !== 'ImportKeyMaterial' || !facts.command.token) return {};
  const { token } = facts.command;
  return {
    importTokenId: token.importTokenId,
    importTokenKeyArn: capped(token.keyArn),
    wrappingAlgorithm: token.wrappingAlgorithm,
    wrappingKeySpec: token.wrappingKeySpec,
    ...(Number.isFinite(token.parametersValidTo) && { importTokenValidTo: new Date(token.parametersValidTo).toISOString() }),
  };
}

/**
 * The refusal with the named key's owner account attached, when the key exists and belongs to another account
 * than the caller's (see RequestRefusedData.keyAccountId).
 */
export function withKeyOwner(refusal: RefusalToRecord, keyAccountId: string | undefined): RefusalToRecord {
  if (keyAccountId === undefined || keyAccountId === refusal.ctx.accountId) return refusal;
  return { ...refusal, data: { ...refusal.data, keyAccountId } };
}

const capped = (text: string): string => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text);
