/**
 * Import tokens (GetParametersForImport -> ImportKeyMaterial). The token carries the claims and the wrapping
 * private key, sealed with AES-256-GCM under a master-key-derived key: the service stores no wrapping keys,
 * the holder can read nothing, and any change or forgery fails authentication.
 * Token = version (1) || nonce (12) || tag (16) || ciphertext; plaintext = claims length (u16) || claims JSON || key DER.
 */
import {
  isImplementedWrappingAlgorithm,
  isImplementedWrappingKeySpec,
  type WrappingAlgorithm,
  type WrappingKeySpec,
} from '../../domain/src/key-spec';
import { gcmOpen, gcmPartsToBuffer, gcmSeal, readGcmParts } from './aes-gcm';
import { toMasterKeyRing, type MasterKey, type MasterKeyRing } from './master-key';

export interface ImportTokenClaims {
  tokenId: string;
  keyArn: string;
  wrappingAlgorithm: WrappingAlgorithm;
  wrappingKeySpec: WrappingKeySpec;
  /** Epoch milliseconds. */
  parametersValidTo: number;
}

/** AWS's ImportToken blob limit (kms-api-reference.md §5). */
export const IMPORT_TOKEN_MAX_BYTES = 6144;

const FORMAT_VERSION = 0x01;
const VERSION_BYTES = 1;
const CLAIMS_LENGTH_BYTES = 2;
const DERIVATION_PURPOSE = 'import-token/v1';
const AAD_LABEL = Buffer.from('keyledger:import-token', 'utf8');

/**
 * Seals tokens under the current master key; opens tokens sealed under the current key or any previous key of the
 * ring, so tokens issued before a master key rotation keep working while the old key is listed as previous.
 * The token carries no key id: each opening key is tried in turn (a wrong key fails GCM authentication).
 */
export class ImportTokenSealer {
  readonly #key: Buffer;
  readonly #openingKeys: Buffer[];

  constructor(masterKeys: MasterKey | MasterKeyRing) {
    const ring = toMasterKeyRing(masterKeys);
    this.#key = ring.current.deriveKey(DERIVATION_PURPOSE);
    this.#openingKeys = [this.#key, ...ring.previous.map((key) => key.deriveKey(DERIVATION_PURPOSE))];
  }

  seal(claims: ImportTokenClaims, wrappingPrivateKeyDer: Buffer): Buffer {
    if (!areValidClaims(claims)) throw new TypeError('Import token claims are incomplete or malformed.');
    const claimsJson = Buffer.from(JSON.stringify(pickClaims(claims)), 'utf8');
    const claimsLength = Buffer.alloc(CLAIMS_LENGTH_BYTES);
    claimsLength.writeUInt16BE(claimsJson.length);
    const plaintext = Buffer.concat([claimsLength, claimsJson, wrappingPrivateKeyDer]);
    const version = Buffer.from([FORMAT_VERSION]);
    const token = gcmPartsToBuffer(gcmSeal(this.#key, plaintext, aad(version)), version);
    if (token.length > IMPORT_TOKEN_MAX_BYTES) throw new RangeError(`Import token would be ${token.length} bytes, over the limit.`);
    return token;
  }

  /** Null for anything not sealed by one of this ring's master keys exactly as issued. Expiry is the caller's check. */
  open(token: Buffer): { claims: ImportTokenClaims; wrappingPrivateKeyDer: Buffer } | null {
    if (token.length > IMPORT_TOKEN_MAX_BYTES || token[0] !== FORMAT_VERSION) return null;
    const parts = readGcmParts(token, VERSION_BYTES);
    if (parts === null) return null;
    const tokenAad = aad(token.subarray(0, VERSION_BYTES));
    let plaintext: Buffer | null = null;
    for (const key of this.#openingKeys) {
      plaintext = gcmOpen(key, parts, tokenAad);
      if (plaintext !== null) break;
    }
    if (plaintext === null || plaintext.length < CLAIMS_LENGTH_BYTES) return null;
    const claimsEnd = CLAIMS_LENGTH_BYTES + plaintext.readUInt16BE(0);
    if (plaintext.length <= claimsEnd) return null;
    const claims = parseClaims(plaintext.subarray(CLAIMS_LENGTH_BYTES, claimsEnd));
    if (claims === null) return null;
    return { claims, wrappingPrivateKeyDer: Buffer.from(plaintext.subarray(claimsEnd)) };
  }
}

function aad(versionByte: Buffer): Buffer {
  return Buffer.concat([versionByte, AAD_LABEL]);
}

/** Only the known fields go into the token, in a fixed order. */
function pickClaims(claims: ImportTokenClaims): ImportTokenClaims {
  const { tokenId, keyArn, wrappingAlgorithm, wrappingKeySpec, parametersValidTo } = claims;
  return { tokenId, keyArn, wrappingAlgorithm, wrappingKeySpec, parametersValidTo };
}

// Authenticated content is trusted, but a shape check keeps a format change from surfacing as undefined fields.
function parseClaims(json: Buffer): ImportTokenClaims | null {
  try {
    const parsed: unknown = JSON.parse(json.toString('utf8'));
    return areValidClaims(parsed) ? pickClaims(parsed) : null;
  } catch {
    return null;
  }
}

function areValidClaims(value: unknown): value is ImportTokenClaims {
  if (typeof value !== 'object' || value === null) return false;
  const claims = value as Record<string, unknown>;
  return (
    typeof claims.tokenId === 'string' &&
    claims.tokenId.length > 0 &&
    typeof claims.keyArn === 'string' &&
    claims.keyArn.length > 0 &&
    typeof claims.wrappingAlgorithm === 'string' &&
    isImplementedWrappingAlgorithm(claims.wrappingAlgorithm) &&
    typeof claims.wrappingKeySpec === 'string' &&
    isImplementedWrappingKeySpec(claims.wrappingKeySpec) &&
    typeof claims.parametersValidTo === 'number' &&
    Number.isFinite(claims.parametersValidTo)
  );
}
