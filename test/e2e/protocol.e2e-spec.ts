import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { readChanges } from '../support/event-log';
import * as raw from '../support/raw-aws-json';
import { expectAwsError, expectOk, Reply } from '../support/raw-aws-json';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';

/**
 * The AWS JSON 1.1 protocol edge, with raw HTTP (kms-api-reference.md §1): every refusal is a 4xx with an AWS error
 * body, a request id and the AWS JSON content type; no malformed request reaches the event log.
 */
describe('AWS JSON 1.1 protocol (raw HTTP)', () => {
  let kl: RunningKeyledger;
  let keyId: string;
  let headAtStart: number;

  const post = (target: string | undefined, body?: string | Buffer, path?: string) => raw.post(kl.url, target, body, path);
  const postStream = (target: string, bytes: number) => raw.postStream(kl.url, target, bytes);
  const op = (name: string, body: unknown) => raw.operation(kl.url, name, body);

  beforeAll(async () => {
    kl = await startKeyledger();
    keyId = (await kl.client().send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    headAtStart = changesToKeys(kl);
  });
  afterAll(() => kl.destroy());

  describe('unreadable bodies', () => {
    it('malformed JSON is a SerializationException', async () => {
      for (const body of ['{"KeyId": ', '{KeyId: "x"}', "{'KeyId': 'x'}", '{"KeyId": "x"} trailing']) {
        expectAwsError(await op('DescribeKey', body), 400, 'SerializationException', 'The request body is not valid JSON.');
      }
    });

    it('a JSON value that is not an object is a SerializationException', async () => {
      for (const body of ['[]', '[{"KeyId": "x"}]', '42', 'null', '"DescribeKey"', 'true']) {
        expectAwsError(await op('DescribeKey', body), 400, 'SerializationException', 'The request body must be a JSON object.');
      }
    });

    it('deeply nested JSON is refused, not a server error', async () => {
      const depth = 40_000;
      const nested = `{"Marker":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
      const reply = await op('ListKeys', nested);
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.text).__type).toBe('SerializationException');
    });

    it('a body over 256 KiB is refused with 413 and an AWS error body, and the connection stays usable', async () => {
      const tooLarge = 'The request body exceeds the maximum of 262144 bytes.';
      const body = (bytes: number) => JSON.stringify({ KeyId: keyId, Description: 'x'.repeat(bytes) });
      const oversized: [string, () => Promise<Reply>][] = [
        ['just over', () => op('DescribeKey', body(256 * 1024))],
        ['8 MiB', () => op('DescribeKey', body(8 * 1024 * 1024))],
        ['1 MiB chunked', () => postStream('TrentService.DescribeKey', 1024 * 1024)],
        ['8 MiB chunked', () => postStream('TrentService.DescribeKey', 8 * 1024 * 1024)],
      ];
      for (const [, send] of oversized) {
        expectAwsError(await send(), 413, 'RequestEntityTooLargeException', tooLarge);
        // fetch reuses the kept-alive connection: the next request must not meet a reset.
        expectOk(await op('ListKeys', {}));
      }
      // Exactly 256 KiB is still read.
      const padding = 256 * 1024 - JSON.stringify({ KeyId: keyId, Padding: '' }).length;
      const exact = JSON.stringify({ KeyId: keyId, Padding: 'p'.repeat(padding) });
      expect(Buffer.byteLength(exact)).toBe(256 * 1024);
      expect(expectOk(await op('DescribeKey', exact)).KeyMetadata).toMatchObject({ KeyId: keyId });
    });
  });

  describe('member types', () => {
    it.each([
      ['DescribeKey', { KeyId: 42 }, "Member 'KeyId' must be a string."],
      ['DescribeKey', { KeyId: ['x'] }, "Member 'KeyId' must be a string."],
      ['ListKeys', { Limit: '10' }, "Member 'Limit' must be an integer."],
      ['ListKeys', { Limit: 1.5 }, "Member 'Limit' must be an integer."],
      ['ImportKeyMaterial', { KeyId: 'k', ImportToken: 'AAAA', EncryptedKeyMaterial: 'AAAA', ValidTo: '2030-01-01T00:00:00Z' }, "Member 'ValidTo' must be a timestamp in epoch seconds."],
      ['Encrypt', { KeyId: 'k', Plaintext: 'AAAA', EncryptionContext: { purpose: 1 } }, "Member 'EncryptionContext' must be a map of strings to strings."],
      ['Encrypt', { KeyId: 'k', Plaintext: 'AAAA', EncryptionContext: ['purpose'] }, "Member 'EncryptionContext' must be a map of strings to strings."],
      ['Encrypt', { KeyId: 'k', Plaintext: 'AAAA', DryRun: 'true' }, "Member 'DryRun' must be a boolean."],
      ['ImportKeyMaterial', { KeyId: 'k', ImportToken: 'not base64!!', EncryptedKeyMaterial: 'AAAA' }, "Member 'ImportToken' is not valid base64."],
      ['ImportKeyMaterial', { KeyId: 'k', ImportToken: 'AAA', EncryptedKeyMaterial: 'AAAA' }, "Member 'ImportToken' is not valid base64."],
      ['Decrypt', { CiphertextBlob: 42 }, "Member 'CiphertextBlob' must be a base64-encoded blob."],
      ['Encrypt', { KeyId: 'k', Plaintext: 'AAAA', GrantTokens: 'token' }, "Member 'GrantTokens' must be a list of strings."],
      ['Encrypt', { KeyId: 'k', Plaintext: 'AAAA', GrantTokens: ['token', 7] }, "Member 'GrantTokens' must be a list of strings."],
      ['CreateKey', { Tags: 'x' }, "Member 'Tags' must be a list."],
    ])('%s with %j is a SerializationException', async (operation, body, message) => {
      expectAwsError(await op(operation, body), 400, 'SerializationException', message);
    });
  });

  describe('constraints', () => {
    it('a missing required member is a ValidationException in the AWS pattern (null counts as missing)', async () => {
      const message = "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null";
      expectAwsError(await op('DescribeKey', {}), 400, 'ValidationException', message);
      expectAwsError(await op('DescribeKey', { KeyId: null }), 400, 'ValidationException', message);
      expectAwsError(await op('DescribeKey', ''), 400, 'ValidationException', message);
    });

    it('two missing members are reported together', async () => {
      expectAwsError(
        await op('GetParametersForImport', { KeyId: keyId }),
        400,
        'ValidationException',
        "2 validation errors detected: Value null at 'wrappingAlgorithm' failed to satisfy constraint: Member must not be null; " +
          "Value null at 'wrappingKeySpec' failed to satisfy constraint: Member must not be null",
      );
    });

    it('an enum violation names the value, the member and the allowed set', async () => {
      expectAwsError(
        await op('GetParametersForImport', { KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_1024' }),
        400,
        'ValidationException',
        "1 validation error detected: Value 'RSA_1024' at 'wrappingKeySpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096, SM2]",
      );
    });

    it('length and range violations echo the value and name the bound', async () => {
      expectAwsError(
        await op('DescribeKey', { KeyId: '' }),
        400,
        'ValidationException',
        "1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
      expectAwsError(
        await op('ListKeys', { Limit: 0 }),
        400,
        'ValidationException',
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
      );
      expectAwsError(
        await op('ListKeys', { Limit: 1001 }),
        400,
        'ValidationException',
        "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000",
      );
    });

    it('an unknown KeySpec for CreateKey is refused the way AWS words it, creating nothing', async () => {
      expectAwsError(
        await op('CreateKey', { KeySpec: 'HMAC_random' }),
        400,
        'ValidationException',
        /^1 validation error detected: Value 'HMAC_random' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: \[SYMMETRIC_DEFAULT, [A-Z0-9_, ]+\]$/,
      );
    });

    it('a string with an unpaired surrogate (valid JSON, not Unicode text) is a ValidationException that does not echo it', async () => {
      const before = changesToKeys(kl);
      expectAwsError(
        await op('CreateKey', '{"Description": "lone \\ud800 surrogate"}'),
        400,
        'ValidationException',
        "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must be Unicode text (it has an unpaired surrogate)",
      );
      expect(changesToKeys(kl)).toBe(before);
    });

    it('CreateKey with both KeySpec and the deprecated CustomerMasterKeySpec is refused, even when they agree; either alone is taken', async () => {
      const message = 'You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.';
      const before = changesToKeys(kl);
      for (const [KeySpec, CustomerMasterKeySpec] of [['HMAC_256', 'RSA_2048'], ['HMAC_256', 'HMAC_256']]) {
        expectAwsError(await op('CreateKey', { KeySpec, CustomerMasterKeySpec, KeyUsage: 'GENERATE_VERIFY_MAC' }), 400, 'ValidationException', message);
      }
      expect(changesToKeys(kl)).toBe(before);
      const legacy = expectOk(await op('CreateKey', { CustomerMasterKeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' })).KeyMetadata as Record<string, unknown>;
      expect(legacy).toMatchObject({ KeySpec: 'HMAC_256', CustomerMasterKeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
      // The key created last is this file's only write: the event-log check at its end counts from here.
      headAtStart = changesToKeys(kl);
    });

    it('DryRun answers DryRunOperationException (400) once the request would have succeeded', async () => {
      expectAwsError(
        await op('Encrypt', { KeyId: keyId, Plaintext: 'AAAA', DryRun: true }),
        400,
        'DryRunOperationException',
        'The request would have succeeded, but the DryRun option is set.',
      );
      expectAwsError(
        await op('Encrypt', { KeyId: 'fake-key-id', Plaintext: 'AAAA', DryRun: true }),
        400,
        'NotFoundException',
        "Invalid keyId 'fake-key-id'",
      );
    });

    it('Plaintext over 4096 bytes is refused without echoing it; 4096 bytes are accepted', async () => {
      const tooLong = randomBytes(4097).toString('base64');
      const reply = await op('Encrypt', { KeyId: keyId, Plaintext: tooLong });
      expectAwsError(
        reply,
        400,
        'ValidationException',
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
      );
      expect(reply.text).not.toContain(tooLong.slice(0, 32));
      expectAwsError(
        await op('Encrypt', { KeyId: keyId, Plaintext: '' }),
        400,
        'ValidationException',
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
      expect(expectOk(await op('Encrypt', { KeyId: keyId, Plaintext: randomBytes(4096).toString('base64') })).CiphertextBlob).toEqual(expect.any(String));
    });
  });

  describe('operations and routes', () => {
    it('an unknown target is an UnknownOperationException, including names inherited from Object', async () => {
      for (const target of ['TrentService.Frobnicate', 'TrentService.toString', 'TrentService.__proto__', 'TrentService.constructor', 'TrentService.hasOwnProperty']) {
        expectAwsError(await post(target, '{}'), 400, 'UnknownOperationException', `Operation ${target} is not supported by this service.`);
      }
      expectAwsError(await post('Other.ListKeys', '{}'), 400, 'UnknownOperationException', 'Operation Other.ListKeys is not supported by this service.');
      // Refused before the body is read: a large unread body must not break the reply.
      const big = JSON.stringify({ Padding: 'x'.repeat(8 * 1024 * 1024) });
      expectAwsError(await post('TrentService.Frobnicate', big), 400, 'UnknownOperationException', 'Operation TrentService.Frobnicate is not supported by this service.');
      expectOk(await op('ListKeys', {}));
    });

    it('a missing X-Amz-Target is an UnknownOperationException', async () => {
      expectAwsError(await post(undefined, '{}'), 400, 'UnknownOperationException', 'Missing X-Amz-Target header: expected TrentService.<Operation>.');
    });

    it('ListKeys with an empty body works', async () => {
      for (const body of [undefined, '', '  \n']) {
        const keys = expectOk(await post('TrentService.ListKeys', body)).Keys as { KeyId: string }[];
        expect(keys.map((k) => k.KeyId)).toContain(keyId);
      }
    });

    it('unknown members are ignored', async () => {
      const body = expectOk(await op('DescribeKey', { KeyId: keyId, Frobnicate: true, keyId: 42, Nested: { a: [1, 2] } }));
      expect(body.KeyMetadata).toMatchObject({ KeyId: keyId });
      expect(expectOk(await op('DescribeKey', { KeyId: keyId, GrantTokens: ['grant-1', 'grant-2'] })).KeyMetadata).toMatchObject({ KeyId: keyId });
    });

    it('a __proto__ member neither supplies members nor pollutes prototypes', async () => {
      expectAwsError(
        await op('DescribeKey', `{"__proto__": {"KeyId": "${keyId}"}}`),
        400,
        'ValidationException',
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
      );
      const described = expectOk(await op('DescribeKey', `{"KeyId": "${keyId}", "__proto__": {"polluted": "yes", "KeyId": 42}}`));
      expect(described.KeyMetadata).toMatchObject({ KeyId: keyId });
      expectOk(await op('ListKeys', '{"__proto__": {"Limit": "not a number"}, "constructor": {"prototype": {"polluted": "yes"}}}'));
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((Object.prototype as Record<string, unknown>).KeyId).toBeUndefined();
    });

    it('a "constructor" member does not switch validation off', async () => {
      expectAwsError(
        await op('DescribeKey', { constructor: {} }),
        400,
        'ValidationException',
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
      );
      expectAwsError(await op('Encrypt', { constructor: 1, KeyId: 5, Plaintext: 7 }), 400, 'SerializationException', "Member 'KeyId' must be a string.");
      expectAwsError(await op('ListKeys', { constructor: 1, Limit: 'abc' }), 400, 'SerializationException', "Member 'Limit' must be an integer.");
      expectAwsError(
        await op('CreateKey', { constructor: 1, KeySpec: 5 }),
        400,
        'SerializationException',
        "Member 'KeySpec' must be a string.",
      );
      expect(expectOk(await op('DescribeKey', { constructor: 'x', KeyId: keyId })).KeyMetadata).toMatchObject({ KeyId: keyId });
    });

    it('GET /health answers JSON', async () => {
      const response = await fetch(`${kl.url}/health`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toMatchObject({ status: 'ok', eventStore: { headPosition: expect.any(Number) } });
    });

    it('an unknown route is a 404 with an AWS error body, not a 500', async () => {
      // (GET / is the pointer to /docs, /console and /health: test/e2e/console-routes.e2e-spec.ts.)
      for (const [method, path] of [['GET', '/nope'], ['POST', '/nope'], ['PUT', '/'], ['DELETE', '/health']]) {
        const response = await fetch(`${kl.url}${path}`, { method, headers: { 'X-Amz-Target': 'TrentService.ListKeys' } });
        expectAwsError(
          { status: response.status, headers: response.headers, text: await response.text() },
          404,
          'UnknownOperationException',
          `No route for ${method} ${path}.`,
        );
      }
    });
  });

  describe('event log', () => {
    it('none of the requests above changed a key (uses are recorded only in the usage log)', async () => {
      expect(changesToKeys(kl)).toBe(headAtStart);
    });
  });
});

/** Events outside the usage log: a successful Encrypt is recorded there, but it changes nothing. */
const changesToKeys = (kl: RunningKeyledger): number => readChanges(kl.dataDir).length;
