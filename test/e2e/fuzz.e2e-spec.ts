import {
  CreateAliasCommand,
  CreateKeyCommand,
  CreateKeyCommandInput,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateMacCommand,
  GetKeyPolicyCommand,
  GetParametersForImportCommand,
  KMSClient,
  ListAliasesCommand,
  ListResourceTagsCommand,
  SignCommand,
} from '@aws-sdk/client-kms';
import { generateKeyPairSync } from 'node:crypto';
import { OPERATIONS } from '../../apps/kms-api/src/aws-json/operations';
import { readEventLog } from '../support/event-log';
import { withTimeout } from '../support/fuzz-http';
import { FuzzContext, Mutator, Rng, toPairs } from '../support/fuzz-mutations';
import { AWS_SEEDED, awsSeed, FuzzKeys, OpenApiDocument, RestRequests, restRoutes } from '../support/fuzz-targets';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import * as raw from '../support/raw-aws-json';
import { restCall } from '../support/rest-client';

/**
 * A seeded, time-bounded fuzz of both endpoints with SIGNED requests (authentication passes, so every request
 * reaches the body reader, the validators and the commands): mutations of valid bodies for every AWS operation
 * (OPERATIONS) and every REST route (/openapi.json). Asserted: no 5xx, no hang, no connection dropped without an
 * answer, every refusal in its endpoint's error format, the service healthy throughout, and the keys created
 * before the fuzz (never named by it) unchanged afterwards. Reproduce a run with KEYLEDGER_FUZZ_SEED=<seed>.
 */
const SEED = Number(process.env.KEYLEDGER_FUZZ_SEED ?? 0x5eed_2025);
const BUDGET_MS = Number(process.env.KEYLEDGER_FUZZ_MS ?? 25_000);
const MAX_REQUESTS = Number(process.env.KEYLEDGER_FUZZ_REQUESTS ?? 8000);
const CONCURRENCY = 6;
const ANSWER_WITHIN_MS = 5000;

interface Planned {
  endpoint: 'aws' | 'rest';
  /** The operation or the route template. */
  target: string;
  done: string[];
  send: () => Promise<{ status: number; contentType: string; text: string }>;
}

interface Failure {
  kind: '5xx' | 'hang' | 'dropped' | 'bad error body';
  index: number;
  endpoint: string;
  target: string;
  done: string[];
  detail: string;
}

describe('fuzz: malformed and mutated signed requests to every operation and route', () => {
  let kl: RunningKeyledger;
  let client: KMSClient;
  const protectedKeys: Array<{ keyId: string; ciphertext: Uint8Array; plaintext: string; snapshot: unknown; events: string[] }> = [];
  let keys: FuzzKeys;

  const snapshot = async (keyId: string) => ({
    metadata: (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata,
    tags: (await client.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags,
    policy: (await client.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy,
    aliases: (await client.send(new ListAliasesCommand({ KeyId: keyId }))).Aliases?.map((a) => [a.AliasName, a.TargetKeyId]),
  });
  /**
   * Events that concern a key: its stream, its refusals, aliases naming it. Not the usage log (uses change
   * nothing) nor the audit digests (signed every 1000 events, they list every stream's head).
   */
  const eventsOf = (keyId: string) =>
    readEventLog(kl.dataDir)
      .filter((e) => e.streamId.startsWith('kms-') && !e.streamId.startsWith('kms-usage-'))
      .filter((e) => e.streamId.includes(keyId) || JSON.stringify(e.data).includes(keyId))
      .map((e) => `${e.streamId}@${e.revision} ${e.type} ${JSON.stringify(e.data).slice(0, 300)}`);

  beforeAll(async () => {
    kl = await startKeyledger();
    client = kl.client();
    const create = async (input: CreateKeyCommandInput) => (await client.send(new CreateKeyCommand(input))).KeyMetadata!;

    // The protected keys: never named by a fuzzed request.
    for (let i = 0; i < 3; i++) {
      const { KeyId } = await create({ Description: `protected ${i}`, Tags: [{ TagKey: 'owner', TagValue: `team-${i}` }] });
      await client.send(new CreateAliasCommand({ AliasName: `alias/protected-${i}`, TargetKeyId: KeyId }));
      const plaintext = `protected secret ${i}`;
      const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId, Plaintext: Buffer.from(plaintext), EncryptionContext: { i: String(i) } }));
      protectedKeys.push({ keyId: KeyId!, ciphertext: CiphertextBlob!, plaintext, snapshot: await snapshot(KeyId!), events: [] });
    }

    // The fuzz's own keys, and artefacts made with them.
    const symmetric = (await create({ Description: 'fuzz target' })).KeyId!;
    const hmac = (await create({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' })).KeyId!;
    const rsaSign = (await create({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })).KeyId!;
    const eccAgreement = (await create({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' })).KeyId!;
    const external = (await create({ Origin: 'EXTERNAL' })).KeyId!;
    await client.send(new CreateAliasCommand({ AliasName: 'alias/fuzz-target', TargetKeyId: symmetric }));
    const b64 = (bytes: Uint8Array | undefined) => Buffer.from(bytes!).toString('base64');
    const message = Buffer.from('fuzz');
    keys = {
      account: '000000000000',
      symmetric,
      hmac,
      rsaSign,
      eccAgreement,
      external,
      ciphertext: b64((await client.send(new EncryptCommand({ KeyId: symmetric, Plaintext: message, EncryptionContext: { purpose: 'fuzz' } }))).CiphertextBlob),
      signature: b64((await client.send(new SignCommand({ KeyId: rsaSign, Message: message, SigningAlgorithm: 'RSASSA_PSS_SHA_256' }))).Signature),
      mac: b64((await client.send(new GenerateMacCommand({ KeyId: hmac, Message: message, MacAlgorithm: 'HMAC_SHA_256' }))).Mac),
      peerPublicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      importToken: b64((await client.send(new GetParametersForImportCommand({ KeyId: external, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }))).ImportToken),
    };
    for (const key of protectedKeys) key.events = eventsOf(key.keyId);
    const named = JSON.stringify(keys);
    for (const key of protectedKeys) expect(named).not.toContain(key.keyId);
  }, 60_000);

  afterAll(async () => {
    client?.destroy();
    await kl?.destroy();
  });

  it(`survives thousands of mutated requests (seed ${SEED})`, async () => {
    const operations = Object.keys(OPERATIONS);
    const unseeded = operations.filter((o) => !AWS_SEEDED.has(o));
    const doc = (await (await fetch(`${kl.url}/openapi.json`)).json()) as OpenApiDocument;
    const routes = restRoutes(doc);
    expect(operations.length).toBeGreaterThan(30);
    expect(routes.length).toBeGreaterThan(30);

    const rng = new Rng(SEED);
    const ctx: FuzzContext = { keyIds: [keys.symmetric, keys.hmac, keys.rsaSign, keys.eccAgreement, keys.external], account: keys.account };
    const mutator = new Mutator(rng, ctx);
    const rest = new RestRequests(doc, keys, rng, mutator);

    /** The i-th request depends only on the seed: requests are drawn one at a time, in order, from one generator. */
    const plan = (): Planned => {
      if (rng.chance(0.55)) {
        const operation = rng.pick(operations);
        const pairs = toPairs(awsSeed(operation, keys, rng));
        const done = rng.chance(0.92) ? mutator.mutateMembers(pairs) : [];
        const finished = mutator.finish(pairs);
        done.push(...finished.done);
        let target = `TrentService.${operation}`;
        if (rng.chance(0.03)) {
          target = rng.pick([`TrentService.${operation.toLowerCase()}`, `TrentService.${operation} `, `trentservice.${operation}`, `TrentService.${operation}.${operation}`, 'TrentService.', `${operation}`]);
          done.push('target mangled');
        }
        const body = finished.body;
        return {
          endpoint: 'aws',
          target: operation,
          done,
          send: async () => {
            const reply = await raw.post(kl.url, target, body);
            return { status: reply.status, contentType: reply.headers.get('content-type') ?? '', text: reply.text };
          },
        };
      }
      const route = rng.pick(routes);
      const request = rest.build(route);
      return {
        endpoint: 'rest',
        target: `${route.method} ${route.template}`,
        done: request.done,
        send: async () => {
          const reply = await restCall(kl.url, request.method, request.path, { body: request.body, headers: request.headers });
          return { status: reply.status, contentType: reply.headers.get('content-type') ?? '', text: reply.text };
        },
      };
    };

    const outcomes = new Map<string, number>();
    const perTarget = new Map<string, number>();
    const failures: Failure[] = [];
    const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
    const started = Date.now();
    let issued = 0;
    let slowest = 0;

    const errorType = (endpoint: string, status: number, text: string): string => {
      if (status < 400) return '';
      try {
        const body = JSON.parse(text);
        return endpoint === 'aws' ? String(body.__type) : String(body.awsErrorType ?? body.type?.replace('urn:keyledger:problem:', ''));
      } catch {
        return '(no JSON)';
      }
    };

    const worker = async () => {
      while (issued < MAX_REQUESTS && Date.now() - started < BUDGET_MS) {
        const index = issued++;
        const planned = plan();
        count(perTarget, `${planned.endpoint} ${planned.target}`);
        const t0 = Date.now();
        try {
          const reply = await withTimeout(planned.send(), ANSWER_WITHIN_MS, planned.target);
          slowest = Math.max(slowest, Date.now() - t0);
          const type = errorType(planned.endpoint, reply.status, reply.text);
          count(outcomes, `${planned.endpoint} ${reply.status}${type ? ` ${type}` : ''}`);
          const failure = (kind: Failure['kind']) =>
            failures.push({ kind, index, endpoint: planned.endpoint, target: planned.target, done: planned.done, detail: `${reply.status} ${reply.text.slice(0, 300)}` });
          if (reply.status >= 500) failure('5xx');
          else if (reply.status >= 400) {
            const format = planned.endpoint === 'aws' ? /^application\/x-amz-json-1\.1/ : /^application\/problem\+json/;
            if (!format.test(reply.contentType) || type === '(no JSON)' || type === 'undefined') failure('bad error body');
          }
        } catch (error) {
          const message = (error as Error).message;
          const kind = /no answer within/.test(message) ? 'hang' : 'dropped';
          count(outcomes, `${planned.endpoint} ${kind}`);
          failures.push({ kind, index, endpoint: planned.endpoint, target: planned.target, done: planned.done, detail: `${message} ${(error as { cause?: Error }).cause?.message ?? ''}` });
        }
        if (index % 500 === 0) {
          const health = await withTimeout(fetch(`${kl.url}/health`), 2000, 'health');
          expect(health.status).toBe(200);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsed = Date.now() - started;

    const sorted = [...outcomes.entries()].sort((a, b) => b[1] - a[1]);
    const byStatus = new Map<string, number>();
    for (const [key, n] of outcomes) byStatus.set(key.split(' ').slice(0, 2).join(' '), (byStatus.get(key.split(' ').slice(0, 2).join(' ')) ?? 0) + n);
    console.log(
      [
        `fuzz seed ${SEED} (reproduce: KEYLEDGER_FUZZ_SEED=${SEED}): ${issued} signed requests in ${(elapsed / 1000).toFixed(1)} s ` +
          `(${operations.length} AWS operations, ${routes.length} REST routes, concurrency ${CONCURRENCY}), slowest answer ${slowest} ms`,
        unseeded.length ? `operations without a seed body (fuzzed from { KeyId }): ${unseeded.join(', ')}` : 'every operation has a seed body',
        'by endpoint and status:',
        ...[...byStatus.entries()].sort().map(([k, n]) => `  ${k}: ${n}`),
        'by endpoint, status and error type:',
        ...sorted.map(([k, n]) => `  ${k}: ${n}`),
        `failures: ${failures.length}`,
        ...failures.slice(0, 20).map((f) => `  #${f.index} ${f.kind} ${f.endpoint} ${f.target} [${f.done.join('; ')}]: ${f.detail}`),
      ].join('\n'),
    );

    // Every operation and route was exercised.
    for (const operation of operations) expect({ operation, hits: (perTarget.get(`aws ${operation}`) ?? 0) > 0 }).toEqual({ operation, hits: true });
    for (const route of routes) expect({ route: `${route.method} ${route.template}`, hits: (perTarget.get(`rest ${route.method} ${route.template}`) ?? 0) > 0 }).toEqual({ route: `${route.method} ${route.template}`, hits: true });
    expect(issued).toBeGreaterThan(1000);
    expect(failures.map((f) => `#${f.index} ${f.kind} ${f.endpoint} ${f.target} [${f.done.join('; ')}]: ${f.detail}`)).toEqual([]);

    // Still healthy, and serving.
    expect((await fetch(`${kl.url}/health`)).status).toBe(200);
  }, 90_000);

  it('left the protected keys unchanged: same metadata, tags, policy and aliases, no new event, ciphertexts still decrypt', async () => {
    for (const key of protectedKeys) {
      expect(await snapshot(key.keyId)).toEqual(key.snapshot);
      expect(eventsOf(key.keyId)).toEqual(key.events);
      const { Plaintext, KeyId } = await client.send(new DecryptCommand({ CiphertextBlob: key.ciphertext, EncryptionContext: { i: key.plaintext.slice(-1) } }));
      expect(Buffer.from(Plaintext!).toString()).toBe(key.plaintext);
      expect(KeyId).toContain(key.keyId);
    }
  });
});
