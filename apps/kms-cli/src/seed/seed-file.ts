import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { allowedUsages, EXPIRATION_MODELS, KEY_SPECS, type ExpirationModel, type KeySpec, type KeyUsage } from '@keyledger/domain';
import { CliError } from '../cli-error';

/** How one key's material is given: hex or base64 bytes, or a PKCS#8 private key file (DER or PEM). */
export type MaterialSource = { hex: string } | { base64: string } | { pkcs8File: string };

/** One key of a seed file, as written (see docs/cli.md). */
export interface SeedKeyEntry {
  /** Required and unique in the file: the key's Description, which is how a rerun finds the key again. */
  description: string;
  keySpec?: KeySpec;
  keyUsage?: KeyUsage;
  material: MaterialSource;
  expirationModel?: ExpirationModel;
  /** ISO-8601, or relative to the time of the run: `+30d`, `+12h`, `+90m`. */
  validTo?: string;
  wrappingAlgorithm?: string;
  wrappingKeySpec?: string;
}

export interface SeedFile {
  endpoint?: string;
  region?: string;
  /** Chooses the account: a 12-digit access key id is its own account; anything else is the default account. */
  accessKeyId?: string;
  keys: SeedKeyEntry[];
}

/** A key to seed with every default applied and every time resolved. */
export interface SeedKeySpec {
  description: string;
  keySpec: KeySpec;
  keyUsage: KeyUsage;
  material: MaterialSource;
  expirationModel: ExpirationModel;
  validTo?: Date;
  wrappingAlgorithm?: string;
  wrappingKeySpec?: string;
}

export interface LoadedSeedFile {
  file: string;
  /** Relative `pkcs8File` paths are resolved from here. */
  baseDir: string;
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  keys: SeedKeySpec[];
}

const TOP_LEVEL = ['endpoint', 'region', 'accessKeyId', 'keys'];
const KEY_FIELDS = ['description', 'keySpec', 'keyUsage', 'material', 'expirationModel', 'validTo', 'wrappingAlgorithm', 'wrappingKeySpec'];
const MATERIAL_FIELDS = ['hex', 'base64', 'pkcs8File'];
const RELATIVE_TIME = /^\+(\d+)([dhm])$/;
const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000 };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function fail(where: string, message: string): never {
  throw new CliError(`seed file: ${where}: ${message}`);
}

function onlyKnownFields(value: Record<string, unknown>, known: string[], where: string): void {
  const unknown = Object.keys(value).filter((name) => !known.includes(name));
  if (unknown.length > 0) fail(where, `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${known.join(', ')})`);
}

function optionalString(value: Record<string, unknown>, name: string, where: string): string | undefined {
  const field = value[name];
  if (field === undefined) return undefined;
  if (typeof field !== 'string' || field === '') fail(`${where}.${name}`, 'must be a non-empty string');
  return field;
}

export function resolveValidTo(value: string, now: number, where: string): Date {
  const relative = RELATIVE_TIME.exec(value);
  const ms = relative ? now + Number(relative[1]) * UNIT_MS[relative[2]] : Date.parse(value);
  if (Number.isNaN(ms)) fail(where, `'${value}' is neither ISO-8601 nor a relative time like +30d, +12h or +90m`);
  return new Date(ms);
}

function parseMaterial(value: unknown, where: string): MaterialSource {
  if (!isObject(value)) fail(where, 'must be an object with one of hex, base64 or pkcs8File');
  onlyKnownFields(value, MATERIAL_FIELDS, where);
  const given = MATERIAL_FIELDS.filter((name) => value[name] !== undefined);
  if (given.length !== 1) fail(where, 'give exactly one of hex, base64 or pkcs8File');
  const text = optionalString(value, given[0], where)!;
  return { [given[0]]: text } as MaterialSource;
}

function parseKey(value: unknown, where: string, now: number): SeedKeySpec {
  if (!isObject(value)) fail(where, 'must be an object');
  onlyKnownFields(value, KEY_FIELDS, where);
  const description = optionalString(value, 'description', where);
  if (description === undefined) fail(`${where}.description`, 'is required: it identifies the key when the seed runs again');
  const keySpec = (optionalString(value, 'keySpec', where) ?? 'SYMMETRIC_DEFAULT') as KeySpec;
  if (!KEY_SPECS.includes(keySpec)) fail(`${where}.keySpec`, `'${keySpec}' is not one of ${KEY_SPECS.join(', ')}`);
  const usages = allowedUsages(keySpec);
  const keyUsage = (optionalString(value, 'keyUsage', where) ?? usages[0]) as KeyUsage;
  if (!usages.includes(keyUsage)) fail(`${where}.keyUsage`, `${keySpec} keys can have ${usages.join(' or ')}, not '${keyUsage}'`);
  const validToText = optionalString(value, 'validTo', where);
  const validTo = validToText === undefined ? undefined : resolveValidTo(validToText, now, `${where}.validTo`);
  const expirationModel = (optionalString(value, 'expirationModel', where) ??
    (validTo ? 'KEY_MATERIAL_EXPIRES' : 'KEY_MATERIAL_DOES_NOT_EXPIRE')) as ExpirationModel;
  if (!EXPIRATION_MODELS.includes(expirationModel)) fail(`${where}.expirationModel`, `must be ${EXPIRATION_MODELS.join(' or ')}`);
  if (expirationModel === 'KEY_MATERIAL_EXPIRES' && !validTo) fail(where, 'KEY_MATERIAL_EXPIRES needs validTo');
  if (expirationModel === 'KEY_MATERIAL_DOES_NOT_EXPIRE' && validTo) fail(where, 'validTo needs expirationModel KEY_MATERIAL_EXPIRES');
  return {
    description,
    keySpec,
    keyUsage,
    material: parseMaterial(value.material, `${where}.material`),
    expirationModel,
    validTo,
    wrappingAlgorithm: optionalString(value, 'wrappingAlgorithm', where),
    wrappingKeySpec: optionalString(value, 'wrappingKeySpec', where),
  };
}

/** Parses and checks a seed file (JSON); every problem is reported with where it is, before any request is sent. */
export function parseSeedFile(text: string, file: string, now = Date.now()): LoadedSeedFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`seed file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) fail('top level', 'must be an object with a "keys" array');
  onlyKnownFields(parsed, TOP_LEVEL, 'top level');
  if (!Array.isArray(parsed.keys) || parsed.keys.length === 0) fail('keys', 'must be a non-empty array');
  const keys = parsed.keys.map((entry, index) => parseKey(entry, `keys[${index}]`, now));
  const seen = new Set<string>();
  keys.forEach((key, index) => {
    if (seen.has(key.description)) fail(`keys[${index}].description`, `'${key.description}' is used twice; descriptions identify keys`);
    seen.add(key.description);
  });
  return {
    file,
    baseDir: dirname(resolve(file)),
    endpoint: optionalString(parsed, 'endpoint', 'top level'),
    region: optionalString(parsed, 'region', 'top level'),
    accessKeyId: optionalString(parsed, 'accessKeyId', 'top level'),
    keys,
  };
}

export function loadSeedFile(file: string): LoadedSeedFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read seed file ${file}: ${(error as Error).message}`);
  }
  return parseSeedFile(text, file);
}
