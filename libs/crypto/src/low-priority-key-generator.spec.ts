import { constants, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { threadNiceness } from '../../../test/support/thread-niceness';
import { LowPriorityKeyGenerator } from './low-priority-key-generator';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LowPriorityKeyGenerator', () => {
  it('generates RSA wrapping key pairs whose halves match, one job at a time', async () => {
    const generator = new LowPriorityKeyGenerator();
    try {
      const [a, b] = await Promise.all([generator.generate('RSA_2048'), generator.generate('RSA_3072')]);
      for (const [pair, bits] of [[a, 2048], [b, 3072]] as const) {
        const publicKey = createPublicKey({ key: pair.publicKeyDer, format: 'der', type: 'spki' });
        const privateKey = createPrivateKey({ key: pair.privateKeyDer, format: 'der', type: 'pkcs8' });
        expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(bits);
        const secret = randomBytes(32);
        const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, secret);
        expect(privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped)).toEqual(secret);
      }
      expect(a.publicKeyDer.equals(b.publicKeyDer)).toBe(false);
    } finally {
      generator.close();
    }
  });

  it('generates on a thread of its own at nice 19 on Linux, leaving the calling thread as it was, and stops it when idle', async () => {
    const before = threadNiceness();
    const generator = new LowPriorityKeyGenerator(100);
    try {
      await generator.generate('RSA_2048');
      expect(generator.workerRunning).toBe(true);
      const during = threadNiceness();
      const niced = [...during].filter(([tid, nice]) => nice === 19 && !before.has(tid));
      // setpriority renices one thread only on Linux; elsewhere the worker keeps the process's priority.
      expect(niced).toHaveLength(process.platform === 'linux' ? 1 : 0);
      expect(during.get(process.pid)).toBe(before.get(process.pid));

      await wait(400);
      expect(generator.workerRunning).toBe(false);
      expect([...threadNiceness()].filter(([, nice]) => nice === 19)).toHaveLength(0);
      // The next job starts a worker again.
      expect((await generator.generate('RSA_2048')).privateKeyDer.length).toBeGreaterThan(1000);
    } finally {
      generator.close();
    }
  });

  it('fails the job of a worker that dies, and starts a new worker for the next one', async () => {
    const generator = new LowPriorityKeyGenerator();
    try {
      const doomed = generator.generate('RSA_4096'); // seconds: the worker is still on it below
      await wait(50);
      await (generator as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      await expect(doomed).rejects.toThrow(/worker stopped/);
      expect((await generator.generate('RSA_2048')).publicKeyDer.length).toBeGreaterThan(250);
    } finally {
      generator.close();
    }
  });

  it('fails every job, without hanging, when no worker thread can be started', async () => {
    const generator = new LowPriorityKeyGenerator();
    (generator as unknown as { startedWorker: () => never }).startedWorker = () => {
      throw new Error('no threads left');
    };
    const jobs = [generator.generate('RSA_2048'), generator.generate('RSA_2048')];
    await expect(jobs[0]).rejects.toThrow('no threads left');
    await expect(jobs[1]).rejects.toThrow('no threads left');
    await expect(generator.generate('RSA_2048')).rejects.toThrow('no threads left');
    generator.close();
  });

  it('fails the jobs it still has when closed, and refuses new ones', async () => {
    const generator = new LowPriorityKeyGenerator();
    const jobs = [generator.generate('RSA_4096'), generator.generate('RSA_4096')];
    generator.close();
    await expect(jobs[0]).rejects.toThrow('closed');
    await expect(jobs[1]).rejects.toThrow('closed');
    await expect(generator.generate('RSA_2048')).rejects.toThrow('closed');
    expect(generator.workerRunning).toBe(false);
  });
});
