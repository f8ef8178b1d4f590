/**
 * What the fuzz test sends: a valid seed body for every AWS operation, and for every REST route of the OpenAPI
 * document a valid-looking request built from its schema; fuzz-mutations.ts then damages them. Every key named
 * here is one of the fuzz's own keys: the keys the test protects never appear in a request.
 */
import { Mutator, Pairs, Rng, toPairs } from './fuzz-mutations';

export interface FuzzKeys {
  account: string;
  symmetric: string;
  hmac: string;
  rsaSign: string;
  eccAgreement: string;
  external: string;
  /** Base64 artefacts made with the keys above. */
  ciphertext: string;
  signature: string;
  mac: string;
  peerPublicKey: string;
  importToken: string;
}

const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:root' }, Action: 'kms:*', Resource: '*' }],
});

/** A valid request body for each AWS operation, naming the fuzz's keys only. */
function seedTable(k: FuzzKeys, rng: Rng): Record<string, () => Record<string, unknown>> {
  const context = { purpose: 'fuzz' };
  const blob = () => rng.bytes(1 + rng.int(64)).toString('base64');
  const alias = () => `alias/fuzz-${rng.int(8)}`;
  return {
    CreateKey: () => ({ Description: 'fuzz', KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Origin: 'AWS_KMS', Tags: [{ TagKey: 'fuzz', TagValue: '1' }], MultiRegion: false }),
    DescribeKey: () => ({ KeyId: k.symmetric, GrantTokens: ['grant'] }),
    ListKeys: () => ({ Limit: 10 }),
    EnableKey: () => ({ KeyId: k.symmetric }),
    DisableKey: () => ({ KeyId: k.symmetric }),
    UpdateKeyDescription: () => ({ KeyId: k.symmetric, Description: 'fuzzed' }),
    ScheduleKeyDeletion: () => ({ KeyId: rng.pick([k.symmetric, k.hmac]), PendingWindowInDays: 7 }),
    CancelKeyDeletion: () => ({ KeyId: rng.pick([k.symmetric, k.hmac]) }),
    TagResource: () => ({ KeyId: k.symmetric, Tags: [{ TagKey: `fuzz-${rng.int(5)}`, TagValue: 'v' }] }),
    UntagResource: () => ({ KeyId: k.symmetric, TagKeys: ['fuzz-1'] }),
    ListResourceTags: () => ({ KeyId: k.symmetric, Limit: 10 }),
    GetKeyPolicy: () => ({ KeyId: k.symmetric, PolicyName: 'default' }),
    PutKeyPolicy: () => ({ KeyId: k.symmetric, PolicyName: 'default', Policy: POLICY, BypassPolicyLockoutSafetyCheck: false }),
    ListKeyPolicies: () => ({ KeyId: k.symmetric, Limit: 10 }),
    EnableKeyRotation: () => ({ KeyId: k.symmetric, RotationPeriodInDays: 365 }),
    DisableKeyRotation: () => ({ KeyId: k.symmetric }),
    GetKeyRotationStatus: () => ({ KeyId: k.symmetric }),
    RotateKeyOnDemand: () => ({ KeyId: k.symmetric }),
    ListKeyRotations: () => ({ KeyId: k.symmetric, IncludeKeyMaterial: 'ALL_KEY_MATERIAL', Limit: 10 }),
    CreateAlias: () => ({ AliasName: alias(), TargetKeyId: k.symmetric }),
    UpdateAlias: () => ({ AliasName: alias(), TargetKeyId: k.symmetric }),
    DeleteAlias: () => ({ AliasName: alias() }),
    ListAliases: () => ({ KeyId: k.symmetric, Limit: 10 }),
    Encrypt: () => ({ KeyId: k.symmetric, Plaintext: blob(), EncryptionContext: context, GrantTokens: ['grant'], EncryptionAlgorithm: 'SYMMETRIC_DEFAULT', DryRun: false }),
    Decrypt: () => ({ CiphertextBlob: k.ciphertext, EncryptionContext: context, KeyId: k.symmetric, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }),
    ReEncrypt: () => ({ CiphertextBlob: k.ciphertext, SourceEncryptionContext: context, SourceKeyId: k.symmetric, DestinationKeyId: k.symmetric, DestinationEncryptionContext: context }),
    GenerateDataKey: () => ({ KeyId: k.symmetric, KeySpec: 'AES_256', EncryptionContext: context }),
    GenerateDataKeyWithoutPlaintext: () => ({ KeyId: k.symmetric, NumberOfBytes: 32, EncryptionContext: context }),
    GenerateDataKeyPair: () => ({ KeyId: k.symmetric, KeyPairSpec: 'ECC_NIST_P256', EncryptionContext: context }),
    GenerateDataKeyPairWithoutPlaintext: () => ({ KeyId: k.symmetric, KeyPairSpec: 'ECC_NIST_P256' }),
    GenerateRandom: () => ({ NumberOfBytes: 32 }),
    GetParametersForImport: () => ({ KeyId: k.external, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }),
    ImportKeyMaterial: () => ({ KeyId: k.external, ImportToken: k.importToken, EncryptedKeyMaterial: rng.bytes(256).toString('base64'), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }),
    DeleteImportedKeyMaterial: () => ({ KeyId: k.external }),
    Sign: () => ({ KeyId: k.rsaSign, Message: blob(), MessageType: 'RAW', SigningAlgorithm: 'RSASSA_PSS_SHA_256' }),
    Verify: () => ({ KeyId: k.rsaSign, Message: 'ZnV6eg==', MessageType: 'RAW', SigningAlgorithm: 'RSASSA_PSS_SHA_256', Signature: k.signature }),
    GenerateMac: () => ({ KeyId: k.hmac, Message: blob(), MacAlgorithm: 'HMAC_SHA_256' }),
    VerifyMac: () => ({ KeyId: k.hmac, Message: 'ZnV6eg==', MacAlgorithm: 'HMAC_SHA_256', Mac: k.mac }),
    GetPublicKey: () => ({ KeyId: rng.pick([k.rsaSign, k.eccAgreement]) }),
    DeriveSharedSecret: () => ({ KeyId: k.eccAgreement, KeyAgreementAlgorithm: 'ECDH', PublicKey: k.peerPublicKey }),
    GetKeyLastUsage: () => ({ KeyId: rng.pick([k.symmetric, k.hmac, k.rsaSign]) }),
  };
}

/** The seed body of an operation; an operation without a seed (added since) gets { KeyId } and is listed by AWS_SEEDED. */
export function awsSeed(operation: string, k: FuzzKeys, rng: Rng): Record<string, unknown> {
  const seed = seedTable(k, rng)[operation];
  return seed ? seed() : { KeyId: k.symmetric };
}

const placeholderKeys = Object.fromEntries(['account', 'symmetric', 'hmac', 'rsaSign', 'eccAgreement', 'external', 'ciphertext', 'signature', 'mac', 'peerPublicKey', 'importToken'].map((n) => [n, n])) as unknown as FuzzKeys;
export const AWS_SEEDED: ReadonlySet<string> = new Set(Object.keys(seedTable(placeholderKeys, new Rng(1))));

// ---------------------------------------------------------------------------------------------------------------
// REST, from the OpenAPI document

type Schema = Record<string, any>;

export interface OpenApiDocument {
  paths: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface RestRoute {
  method: string;
  template: string;
  parameters: Array<{ name: string; in: string; schema?: Schema }>;
  body?: Schema;
}

export interface RestRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  done: string[];
}

export function restRoutes(doc: OpenApiDocument): RestRoute[] {
  const routes: RestRoute[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'delete', 'patch'].includes(method)) continue;
      routes.push({
        method: method.toUpperCase(),
        template,
        parameters: operation.parameters ?? [],
        body: operation.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return routes;
}

export class RestRequests {
  constructor(
    private readonly doc: OpenApiDocument,
    private readonly keys: FuzzKeys,
    private readonly rng: Rng,
    private readonly mutator: Mutator,
  ) {}

  private resolve(schema: Schema): Schema {
    const ref: string | undefined = schema?.$ref;
    return ref ? this.resolve(this.doc.components!.schemas![ref.split('/').pop()!]) : schema;
  }

  /** A plausible valid value for a schema: its example, default or first enum value, or one of its type. */
  private example(schemaIn: Schema, member = ''): unknown {
    const schema = this.resolve(schemaIn);
    const real = this.realValue(member);
    if (real !== undefined) return real;
    if (schema.example !== undefined) return schema.example;
    if (schema.default !== undefined) return schema.default;
    if (schema.enum) return schema.enum[0];
    switch (schema.type) {
      case 'string':
        if (schema.format === 'byte') return this.rng.bytes(16).toString('base64');
        if (schema.format === 'date-time') return new Date(Date.now() + 365 * 86_400_000).toISOString();
        return 'fuzz';
      case 'integer':
      case 'number':
        return schema.minimum ?? 1;
      case 'boolean':
        return true;
      case 'array':
        return [this.example(schema.items ?? {})];
      case 'object': {
        const out: Record<string, unknown> = {};
        for (const [name, property] of Object.entries<Schema>(schema.properties ?? {})) out[name] = this.example(property, name);
        return out;
      }
      default:
        return null;
    }
  }

  /** Artefacts that must be real for a request to get past validation (ciphertexts, tokens, algorithms that fit the key). */
  private realValue(member: string): unknown {
    const k = this.keys;
    const values: Record<string, unknown> = {
      ciphertext: k.ciphertext,
      signature: k.signature,
      mac: k.mac,
      publicKey: k.peerPublicKey,
      importToken: k.importToken,
      encryptedKeyMaterial: this.rng.bytes(256).toString('base64'),
      targetKeyId: k.symmetric,
      destinationKeyId: k.symmetric,
      keyPairSpec: 'ECC_NIST_P256',
      signingAlgorithm: 'RSASSA_PSS_SHA_256',
      macAlgorithm: 'HMAC_SHA_256',
      wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
      wrappingKeySpec: 'RSA_2048',
      encryptionContext: { purpose: 'fuzz' },
      sourceEncryptionContext: { purpose: 'fuzz' },
      destinationEncryptionContext: { purpose: 'fuzz' },
      expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      keyMaterialId: undefined,
    };
    return values[member];
  }

  private keyFor(template: string): string {
    const k = this.keys;
    if (/\/(sign|verify|public-key)$/.test(template)) return k.rsaSign;
    if (/\/mac(\/verify)?$/.test(template)) return k.hmac;
    if (/\/shared-secret$/.test(template)) return k.eccAgreement;
    if (/\/(import-parameters|material)$/.test(template)) return k.external;
    return this.rng.chance(0.8) ? k.symmetric : k.hmac;
  }

  private junkSegment(): string {
    return this.rng.pick([
      this.rng.uuid(),
      'alias%2Ffuzz-target',
      encodeURIComponent(`arn:aws:kms:us-east-1:999999999999:key/${this.keys.symmetric}`),
      encodeURIComponent(`arn:aws:kms:us-east-1:${this.keys.account}:alias/fuzz-target`),
      '%E0%A4%A',
      '%C0%AF',
      '..',
      '%2e%2e',
      '%2F',
      'x'.repeat(3000),
      encodeURIComponent('🔑'),
      '%00',
      '%25',
      '%20',
      '__proto__',
      'constructor',
      'alias%2Faws%2Fkms',
    ]);
  }

  private validQuery(name: string): string | undefined {
    const values: Record<string, () => string | undefined> = {
      limit: () => String(1 + this.rng.int(50)),
      asOf: () => new Date(Date.now() - 1000).toISOString(),
      from: () => new Date(Date.now() - 3_600_000).toISOString(),
      to: () => String(Date.now()),
      afterRevision: () => '0',
      afterPosition: () => '0',
      tagKeys: () => 'fuzz-1',
      includeKeyMaterial: () => 'ALL_KEY_MATERIAL',
      principal: () => 'test',
      operation: () => 'Encrypt',
      type: () => 'KeyCreated.v1',
      keyId: () => this.keys.symmetric,
      keyMaterialId: () => undefined,
      marker: () => undefined,
      after: () => undefined,
    };
    return (values[name] ?? (() => 'fuzz'))();
  }

  private junkQuery(): string {
    return this.rng.pick(['-1', '0', '1e308', '99999999999999999999', 'NaN', 'abc', '', '%00', '%E0%A4%A', encodeURIComponent('🔑'), 'x'.repeat(5000), encodeURIComponent("'; DROP TABLE events; --"), '2026-02-30T00:00:00Z', 'true', '1.5', '%20']);
  }

  build(route: RestRoute): RestRequest {
    const done: string[] = [];
    let path = route.template.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (this.rng.chance(0.12)) {
        done.push(`path ${name} junk`);
        return this.junkSegment();
      }
      return name === 'aliasName' ? `alias%2Ffuzz-${this.rng.int(8)}` : this.keyFor(route.template);
    });
    const query: string[] = [];
    const headers: Record<string, string> = {};
    for (const parameter of route.parameters) {
      if (parameter.in === 'query') {
        if (this.rng.chance(0.2)) {
          query.push(`${parameter.name}=${this.junkQuery()}`);
          done.push(`query ${parameter.name} junk`);
        } else if (this.rng.chance(0.4)) {
          const value = this.validQuery(parameter.name);
          if (value !== undefined) query.push(`${parameter.name}=${encodeURIComponent(value)}`);
        }
        if (this.rng.chance(0.04)) {
          query.push(`${parameter.name}=1`, `${parameter.name}=2`);
          done.push(`query ${parameter.name} repeated`);
        }
        if (this.rng.chance(0.03)) {
          query.push(`${parameter.name}[__proto__]=1`);
          done.push(`query ${parameter.name} bracketed`);
        }
      } else if (parameter.in === 'header' && this.rng.chance(0.3)) {
        headers[parameter.name] = this.rng.pick(['"0"', '"1"', '*', 'junk', '"99999999999999999999"', 'W/"1"', '"-1"', '""', '"1", "2"']);
        done.push(`header ${parameter.name}`);
      }
    }
    if (this.rng.chance(0.03)) {
      query.push(`${this.rng.pick(['__proto__', 'constructor', 'x'.repeat(100)])}=1`);
      done.push('query unknown');
    }
    if (query.length > 0) path += `?${query.join('&')}`;

    let body: string | Buffer | undefined;
    if (route.body) {
      const pairs: Pairs = toPairs(this.example(route.body) as Record<string, unknown>);
      if (this.rng.chance(0.9)) done.push(...this.mutator.mutateMembers(pairs));
      const finished = this.mutator.finish(pairs);
      body = finished.body;
      done.push(...finished.done);
    } else if (route.method !== 'GET' && this.rng.chance(0.1)) {
      body = this.mutator.finish(toPairs({ unexpected: true })).body;
      done.push('unexpected body');
    }
    if (body !== undefined) {
      headers['Content-Type'] = this.rng.chance(0.95) ? 'application/json' : this.rng.pick(['text/plain', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', 'application/merge-patch+json']);
    }
    return { method: route.method, path, headers, body, done };
  }
}
