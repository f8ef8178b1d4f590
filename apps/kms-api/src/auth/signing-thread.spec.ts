import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { SigningThread } from './signing-thread';
import { expectedSignature, SignerCache, SigningJob } from './sigv4-signing';

// The thread loads the compiled module (npm test builds first), as the service does from dist/.
const COMPILED = join(__dirname, '../../../../dist/apps/kms-api/src/auth/sigv4-signing.js');

const body = Buffer.from(JSON.stringify({ KeyId: 'alias/x', Plaintext: 'aGVsbG8=' }));
const job = (overrides: Partial<SigningJob> = {}): SigningJob => ({
  method: 'POST',
  hostname: '127.0.0.1:8080',
  path: '/',
  query: {},
  headers: { host: '127.0.0.1:8080', 'x-amz-date': '20261205T120000Z', 'x-amz-target': 'TrentService.Encrypt' },
  body,
  signedAt: Date.UTC(2026, 11, 5, 12, 0, 0),
  signedHeaders: ['host', 'x-amz-date', 'x-amz-target'],
  accessKeyId: 'test',
  secretAccessKey: 'test',
  region: 'us-east-1',
  service: 'kms',
  ...overrides,
});

describe('SigningThread', () => {
  const threads: SigningThread[] = [];
  const thread = (options: ConstructorParameters<typeof SigningThread>[0] = {}) => {
    const made = new SigningThread({ signingModule: COMPILED, ...options });
    threads.push(made);
    return made;
  };
  afterEach(async () => Promise.all(threads.splice(0).map((t) => t.close())));

  it('runs against the compiled module', () => {
    expect(existsSync(COMPILED)).toBe(true);
  });

  it('computes the same signatures and refusals as the main thread, for requests that differ in every input', async () => {
    const signing = thread({ use: 'always' });
    expect(await signing.whenReady()).toBe(true);
    const jobs = [
      job(),
      job({ secretAccessKey: 'other' }),
      job({ region: 'eu-west-1' }),
      job({ sessionToken: 'token', headers: { ...job().headers, 'x-amz-security-token': 'token' }, signedHeaders: [...job().signedHeaders, 'x-amz-security-token'] }),
      job({ path: '/v1/keys', method: 'GET', query: { limit: '5', tag: ['a', 'b'] }, body: Buffer.alloc(0) }),
      job({ body: Buffer.from('{}'), signedAt: Date.UTC(2026, 11, 6, 0, 0, 1), headers: { ...job().headers, 'x-amz-date': '20261206T000001Z' } }),
      job({ declaredPayloadHash: createHash('sha256').update(body).digest('hex') }),
      job({ declaredPayloadHash: createHash('sha256').update('something else').digest('hex') }),
      job({ declaredPayloadHash: 'UNSIGNED-PAYLOAD' }),
    ];
    const inline = await Promise.all(jobs.map((j) => expectedSignature(j, new SignerCache())));
    // All in one turn: they go over as one batch.
    const onThread = await Promise.all(jobs.map((j) => signing.sign(j)));
    expect(onThread).toEqual(inline);
    expect(new Set(inline.map((o) => JSON.stringify(o))).size).toBe(jobs.length - 1); // only the matching declared hash repeats job()
    expect(inline.slice(-2)).toEqual([{ refused: 'payload-hash-mismatch' }, { refused: 'unsigned-payload' }]);
    expect(signing.signatures).toBe(jobs.length);
  });

  it('is wanted under sustained load only: several requests in a turn right after another such turn, or jobs still out', async () => {
    const signing = thread({ sustainedWithinMs: 200 });
    const turn = async (requests: number) => {
      const answers = Array.from({ length: requests }, () => signing.wanted());
      await nextTurn();
      return answers;
    };
    const pause = () => new Promise((resolve) => setTimeout(resolve, 300));
    expect(await turn(1)).toEqual([false]); // one request per turn: a client waiting for each answer
    expect(await turn(1)).toEqual([false]);
    expect(await turn(8)).toEqual(Array(8).fill(false)); // a burst after a pause
    expect(signing.running).toBe(false);
    expect(await turn(3)).toEqual([false, false, false]); // sustained: the thread starts, inline until it is ready
    expect(await signing.whenReady()).toBe(true);
    await pause();
    expect(await turn(2)).toEqual([false, false]);
    const busy = [signing.wanted(), signing.wanted()];
    expect(busy).toEqual([false, true]);
    const out = signing.sign(job());
    await nextTurn();
    expect(signing.wanted()).toBe(true); // a job still out on the thread: keep going there
    await out;
    await nextTurn();
    expect(signing.wanted()).toBe(false);
    await pause();
    expect(await turn(4)).toEqual(Array(4).fill(false)); // a burst after a pause, the thread running
  });

  it('stops when idle and starts again on demand', async () => {
    const signing = thread({ use: 'always', idleMs: 50 });
    expect(await signing.whenReady()).toBe(true);
    await signing.sign(job());
    const until = Date.now() + 5000;
    while (signing.running && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(signing.running).toBe(false);
    await expect(signing.sign(job())).rejects.toThrow('not running');
    expect(signing.wanted()).toBe(false); // starts it
    expect(await signing.whenReady()).toBe(true);
    expect(signing.wanted()).toBe(true);
  });

  it('a thread that cannot start is never wanted, and its jobs are refused for the caller to sign inline', async () => {
    const signing = thread({ use: 'always', signingModule: join(__dirname, 'no-such-module.js') });
    expect(await signing.whenReady()).toBe(false);
    expect(signing.wanted()).toBe(false);
    expect(signing.running).toBe(false);
    await expect(signing.sign(job())).rejects.toThrow();
  });

  it('close refuses the jobs still queued or out on the thread', async () => {
    const signing = thread({ use: 'always' });
    expect(await signing.whenReady()).toBe(true);
    const refused = expect(signing.sign(job())).rejects.toThrow('closed');
    await signing.close();
    await refused;
    expect(signing.wanted()).toBe(false);
  });
});
