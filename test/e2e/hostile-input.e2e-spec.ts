import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { readChanges } from '../support/event-log';
import { PROBE_HEADER, postChunked, probeServerSockets, pushRegardless, rawExchange } from '../support/fuzz-http';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import * as raw from '../support/raw-aws-json';
import { expectAwsError, expectOk } from '../support/raw-aws-json';
import { expectProblem, restCall } from '../support/rest-client';

/**
 * Hostile input at the HTTP edge (both endpoints): oversized bodies are refused while they are read and the
 * rest of the upload is never read; bodies nested or repeated beyond every KMS shape are refused before parsing,
 * in linear time; and none of it changes a key.
 */
describe('hostile input', () => {
  let kl: RunningKeyledger;
  let keyId: string;
  let changesAtStart: number;
  let probes: ReturnType<typeof probeServerSockets>;

  const LIMIT = 256 * 1024;
  const TOO_LARGE = `The request body exceeds the maximum of ${LIMIT} bytes.`;
  const HUGE = 200 * 1024 * 1024;
  const AWS_JSON = 'application/x-amz-json-1.1';
  const op = (name: string, body: unknown) => raw.operation(kl.url, name, body);
  const timed = async <T>(call: () => Promise<T>): Promise<{ reply: T; ms: number }> => {
    const started = Date.now();
    const reply = await call();
    return { reply, ms: Date.now() - started };
  };
  /** A document nested `depth` deep with arrays (2 bytes a level, so 100,000 levels stay under the size limit). */
  const nestedArrays = (depth: number, inner = '1') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

  beforeAll(async () => {
    kl = await startKeyledger();
    probes = probeServerSockets(kl.app.getHttpServer());
    keyId = (await kl.client().send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    changesAtStart = readChanges(kl.dataDir).length;
  });
  afterAll(async () => {
    probes.stop();
    await kl.destroy();
  });

  describe('bodies over 256 KiB are refused while they are read, and the rest is not read', () => {
    it('AWS endpoint: a 200 MB chunked body is answered 413 at once; the server reads little more than the limit and closes the connection', async () => {
      const reply = await postChunked(kl.url, { 'Content-Type': AWS_JSON, 'X-Amz-Target': 'TrentService.CreateKey', [PROBE_HEADER]: 'aws-chunked' }, HUGE);
      expectAwsError(reply, 413, 'RequestEntityTooLargeException', TOO_LARGE);
      expect(reply.headers.get('connection')).toBe('close');
      expect(reply.elapsedMs).toBeLessThan(3000);
      // What the client could hand over before the answer: the limit plus the kernel's socket buffers, not 200 MB.
      expect(reply.sentBeforeAnswer).toBeLessThan(32 * 1024 * 1024);
      // What the server itself read from that connection before closing it: the limit and a buffer or two.
      const read = await probes.closed('aws-chunked');
      expect(read.bytesRead).toBeLessThan(LIMIT + 512 * 1024);
      expect(read.closedAfterMs).toBeLessThan(5000);
      console.log(`AWS 200 MB chunked: 413 after ${reply.elapsedMs} ms; client handed over ${reply.sentBeforeAnswer} bytes; server read ${read.bytesRead} bytes, closed after ${read.closedAfterMs} ms`);
      expectOk(await op('ListKeys', {}));
    });

    it('AWS endpoint: a declared Content-Length of 300 KB is refused before a byte of the body is read', async () => {
      // The headers announce 300 KB and no body follows: an answer proves nothing was waited for.
      const head = `POST / HTTP/1.1\r\nHost: ${new URL(kl.url).host}\r\nContent-Type: ${AWS_JSON}\r\nX-Amz-Target: TrentService.CreateKey\r\nContent-Length: ${300 * 1024}\r\n\r\n`;
      const exchange = await rawExchange(kl.url, head, 5000);
      expect(exchange.status).toBe(413);
      expect(exchange.answeredAfterMs).toBeLessThan(1000);
      expect(exchange.response).toMatch(/\r\nConnection: close\r\n/i);
      expect(exchange.response).toContain('"__type":"RequestEntityTooLargeException"');
      // Then the server closes the connection (after a short linger), rather than waiting for the body.
      expect(exchange.closedByServer).toBe(true);
      expect(exchange.closedAfterMs).toBeLessThan(4000);
    });

    it('REST: a 200 MB chunked body is answered 413 at once, with the same bounds', async () => {
      const reply = await postChunked(`${kl.url}/v1/keys`, { 'Content-Type': 'application/json', [PROBE_HEADER]: 'rest-chunked' }, HUGE);
      expect(reply.status).toBe(413);
      expect(JSON.parse(reply.text)).toMatchObject({ type: 'urn:keyledger:problem:request-too-large', awsErrorType: 'RequestEntityTooLargeException', detail: TOO_LARGE });
      expect(reply.headers.get('connection')).toBe('close');
      expect(reply.elapsedMs).toBeLessThan(3000);
      expect(reply.sentBeforeAnswer).toBeLessThan(32 * 1024 * 1024);
      const read = await probes.closed('rest-chunked');
      expect(read.bytesRead).toBeLessThan(LIMIT + 512 * 1024);
      console.log(`REST 200 MB chunked: 413 after ${reply.elapsedMs} ms; client handed over ${reply.sentBeforeAnswer} bytes; server read ${read.bytesRead} bytes`);
    });

    it('REST: a declared Content-Length of 300 KB is refused before the body is read', async () => {
      const head = `POST /v1/keys HTTP/1.1\r\nHost: ${new URL(kl.url).host}\r\nContent-Type: application/json\r\nContent-Length: ${300 * 1024}\r\n\r\n`;
      const exchange = await rawExchange(kl.url, head, 5000);
      expect(exchange.status).toBe(413);
      expect(exchange.answeredAfterMs).toBeLessThan(1000);
      expect(exchange.response).toContain('"awsErrorType":"RequestEntityTooLargeException"');
      expect(exchange.closedByServer).toBe(true);
    });

    it('REST: a large body of the wrong media type is refused 415 without being read either', async () => {
      const reply = await postChunked(`${kl.url}/v1/keys`, { 'Content-Type': 'text/plain', [PROBE_HEADER]: 'rest-415' }, HUGE);
      expect(reply.status).toBe(415);
      expect(reply.sentBeforeAnswer).toBeLessThan(32 * 1024 * 1024);
      expect((await probes.closed('rest-415')).bytesRead).toBeLessThan(LIMIT + 512 * 1024);
    });
  });

  describe('a client that ignores the answer and keeps pushing 200 MB cannot make the server read it', () => {
    // Declared or chunked, refused by the body reader (413) or before any reader ran (unknown operation or route):
    // the answer comes at once, then a FIN; the server reads little beyond the limit and closes the connection.
    it('declared or chunked, refused by the reader (413) or before any reader ran (400, 404)', async () => {
      const cases: Array<[string, string, string, string, number]> = [
        ['AWS, declared length', '/', 'TrentService.ListKeys', 'Content-Length: 209715200', 413],
        ['AWS, chunked', '/', 'TrentService.ListKeys', 'Transfer-Encoding: chunked', 413],
        ['REST, declared length', '/v1/keys', '', 'Content-Length: 209715200', 413],
        ['REST, chunked', '/v1/keys', '', 'Transfer-Encoding: chunked', 413],
        ['AWS unknown operation, declared length', '/', 'TrentService.Frobnicate', 'Content-Length: 209715200', 400],
        ['AWS unknown operation, chunked', '/', 'TrentService.Frobnicate', 'Transfer-Encoding: chunked', 400],
        ['unknown route, chunked', '/nope', 'TrentService.ListKeys', 'Transfer-Encoding: chunked', 404],
      ];
      // All at once: each connection lingers for 2 s after its answer before the server destroys it.
      const results = await Promise.all(
        cases.map(async ([name, path, target, framing, status]) => {
          const head = `POST ${path} HTTP/1.1\r\nHost: ${new URL(kl.url).host}\r\nContent-Type: application/json\r\nX-Amz-Target: ${target}\r\n${PROBE_HEADER}: ${name}\r\n${framing}\r\n\r\n`;
          const pushed = await pushRegardless(kl.url, head, HUGE, 10_000);
          const read = await probes.closed(name);
          return {
            name,
            status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(pushed.answer)?.[1]) === status ? 'as expected' : pushed.answer.slice(0, 40),
            answeredQuickly: (pushed.answeredAfterMs ?? Infinity) < 1000,
            closedByServer: (pushed.closedAfterMs ?? Infinity) < 5000 && read.closedAfterMs < 5000,
            clientWroteLittle: pushed.written < 32 * 1024 * 1024 ? true : pushed.written,
            serverReadLittle: read.bytesRead < LIMIT + 512 * 1024 ? true : read.bytesRead,
          };
        }),
      );
      const expected = { status: 'as expected', answeredQuickly: true, closedByServer: true, clientWroteLittle: true, serverReadLittle: true };
      expect(results).toEqual(cases.map(([name]) => ({ name, ...expected })));
    });

    it('a small body left unread is still read off, and the connection stays usable', async () => {
      const reply = await raw.post(kl.url, 'TrentService.Frobnicate', JSON.stringify({ Padding: 'x'.repeat(100 * 1024) }));
      expectAwsError(reply, 400, 'UnknownOperationException', 'Operation TrentService.Frobnicate is not supported by this service.');
      expect(reply.headers.get('connection')).not.toBe('close');
      expectOk(await op('ListKeys', {}));
    });
  });

  describe('nesting and repetition beyond every KMS shape are refused before parsing', () => {
    const tooDeep = 'The request body is nested deeper than 10 levels.';

    it('CreateKey with Tags nested 100,000 deep is a SerializationException, in linear time, and the service keeps answering', async () => {
      const { reply, ms } = await timed(() => op('CreateKey', `{"Tags":${nestedArrays(100_000, '{"TagKey":"k","TagValue":"v"}')}}`));
      expectAwsError(reply, 400, 'SerializationException', tooDeep);
      expect(ms).toBeLessThan(1000);
      expectOk(await op('ListKeys', {}));
    });

    it('Encrypt with an EncryptionContext nested 100,000 deep is a SerializationException', async () => {
      const body = `{"KeyId":"${keyId}","Plaintext":"AAAA","EncryptionContext":{"purpose":${nestedArrays(100_000)}}}`;
      const { reply, ms } = await timed(() => op('Encrypt', body));
      expectAwsError(reply, 400, 'SerializationException', tooDeep);
      expect(ms).toBeLessThan(1000);
      // Objects nested deep (6 bytes a level), 40,000 levels: as far as the size limit allows.
      expectAwsError(await op('Encrypt', `{"KeyId":"${keyId}","Plaintext":"AAAA","EncryptionContext":${'{"a":'.repeat(40_000)}"x"${'}'.repeat(40_000)}}`), 400, 'SerializationException', tooDeep);
      expect(expectOk(await op('Encrypt', { KeyId: keyId, Plaintext: 'AAAA', EncryptionContext: { purpose: 'test' } })).CiphertextBlob).toEqual(expect.any(String));
    });

    it('the depth bound is 10 levels, counting the body itself; brackets inside strings do not count', async () => {
      const at = (levels: number) => `{"KeyId":"${keyId}","Unknown":${nestedArrays(levels - 1)}}`;
      expect(expectOk(await op('DescribeKey', at(10))).KeyMetadata).toMatchObject({ KeyId: keyId });
      expectAwsError(await op('DescribeKey', at(11)), 400, 'SerializationException', tooDeep);
      const brackets = '[{'.repeat(5000);
      expect(expectOk(await op('DescribeKey', { KeyId: keyId, Unknown: brackets, 'Key[{': 'x\\"[{' })).KeyMetadata).toMatchObject({ KeyId: keyId });
    });

    it('100,000 GrantTokens are refused: a ValidationException naming the member, or a 413 when they do not fit in 256 KiB', async () => {
      const message =
        "1 validation error detected: Value '[list]' at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 1000";
      const numbers = `{"KeyId":"${keyId}","Plaintext":"AAAA","GrantTokens":[${Array(100_000).fill('1').join(',')}]}`;
      const { reply, ms } = await timed(() => op('Encrypt', numbers));
      expectAwsError(reply, 400, 'ValidationException', message);
      expect(ms).toBeLessThan(1000);
      expectAwsError(await op('Encrypt', { KeyId: keyId, Plaintext: 'AAAA', GrantTokens: Array(100_000).fill('') }), 413, 'RequestEntityTooLargeException', TOO_LARGE);
      expectAwsError(await op('Encrypt', { KeyId: keyId, Plaintext: 'AAAA', GrantTokens: Array(1001).fill('grant') }), 400, 'ValidationException', message);
      // 1000 entries are still read, and then refused by the member's own limit: at most 10 grant tokens.
      expectAwsError(
        await op('DescribeKey', { KeyId: keyId, GrantTokens: Array(1000).fill('grant') }),
        400,
        'ValidationException',
        "1 validation error detected: Value '[list]' at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10",
      );
      expect(expectOk(await op('DescribeKey', { KeyId: keyId, GrantTokens: Array(10).fill('grant') })).KeyMetadata).toMatchObject({ KeyId: keyId });
    });

    it('a map or a body with too many entries is refused too', async () => {
      const context = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, 'v']));
      expectAwsError(
        await op('Encrypt', { KeyId: keyId, Plaintext: 'AAAA', EncryptionContext: context }),
        400,
        'ValidationException',
        "1 validation error detected: Value '{structure}' at 'encryptionContext' failed to satisfy constraint: Member must have length less than or equal to 1000",
      );
      const members = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`Unknown${i}`, 1]));
      expectAwsError(await op('DescribeKey', { KeyId: keyId, ...members }), 400, 'SerializationException', 'The request body has more than 1000 members.');
      expectAwsError(await op('DescribeKey', `[${Array(2000).fill('{}').join(',')}]`), 400, 'SerializationException', 'The request body must be a JSON object.');
      // A list nested in a structure is named by its path.
      expectAwsError(
        await op('Decrypt', { CiphertextBlob: 'AAAA', Recipient: { AttestationDocument: Array(1001).fill(0) } }),
        400,
        'ValidationException',
        /at 'recipient\.attestationDocument' failed to satisfy constraint: Member must have length less than or equal to 1000$/,
      );
    });

    it('REST: tags nested 100,000 deep, an encryption context nested 100,000 deep and 100,000 tags are refused with a 4xx', async () => {
      const json = { 'Content-Type': 'application/json' };
      const deepTags = await restCall(kl.url, 'POST', `/v1/keys/${keyId}/tags`, { body: `{"tags":${nestedArrays(100_000, '{"key":"k","value":"v"}')}}`, headers: json });
      expectProblem(deepTags, 400, 'malformed-request', 'SerializationException', tooDeep);
      const deepContext = await restCall(kl.url, 'POST', `/v1/keys/${keyId}/encrypt`, { body: `{"plaintext":"AAAA","encryptionContext":{"a":${nestedArrays(100_000)}}}`, headers: json });
      expectProblem(deepContext, 400, 'malformed-request', 'SerializationException', tooDeep);
      const manyTags = await restCall(kl.url, 'POST', `/v1/keys/${keyId}/tags`, { body: `{"tags":[${Array(100_000).fill('1').join(',')}]}`, headers: json });
      expectProblem(manyTags, 400, 'validation-failed', 'ValidationException', /at 'tags' failed to satisfy constraint: Member must have length less than or equal to 1000$/);
      expect((await restCall(kl.url, 'GET', `/v1/keys/${keyId}`)).status).toBe(200);
    });
  });

  describe('event log', () => {
    it('no refusal above changed a key (uses are recorded only in the usage log)', () => {
      expect(readChanges(kl.dataDir).length).toBe(changesAtStart);
    });
  });
});
