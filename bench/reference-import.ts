/**
 * GetParametersForImport on the bare reference server (bench/reference-server.ts): the work no import service can
 * skip, and nothing else, so that its bursts are the floor for Keyledger's (issue 10 asks for a burst of the
 * RSA_2048 pool's size answered with p50 ≤ 5 ms). Per call:
 * - a wrapping key pair, taken from pairs generated at start and handed out in turn (generation is the pool's
 *   cost, which the benchmark measures on its own; a call costs the same with a fresh pair);
 * - a record of the parameters issued, durable before the answer: a line appended to a file in DATA_DIR, where the
 *   calls of one event-loop turn share one write and one fdatasync, on libuv's thread pool (Keyledger commits the
 *   appends of a turn together too, with one fsync);
 * - the import token: the claims and the private key sealed with AES-256-GCM.
 * No key store, no audit chain, no validation beyond the wrapping choice: any KeyId is accepted.
 */
import { createCipheriv, createHash, generateKeyPair, randomBytes, randomUUID } from 'node:crypto';
import { closeSync, fdatasync, openSync, write } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Pairs generated at start and handed out in turn. */
export const REFERENCE_WRAPPING_PAIRS = 8;
/** The file, in DATA_DIR, that records every issue. */
export const REFERENCE_IMPORT_RECORDS = 'import-parameters.jsonl';
const VALIDITY_MS = 24 * 60 * 60 * 1000;

interface WrappingPair {
  publicKeyDer: Buffer;
  privateKeyDer: Buffer;
}

/** A refused request, answered 400 with its AWS error type by the server's handler. */
class ValidationError extends Error {
  readonly type = 'ValidationException';
}

const generate = promisify(generateKeyPair);

export class ReferenceImport {
  private next = 0;
  private readonly tokenKey = randomBytes(32);
  private pending: Array<{ line: string; done: (error: Error | null) => void }> = [];

  private constructor(
    private readonly pairs: WrappingPair[],
    private readonly records: number,
    private readonly arnOf: (keyId: string) => string,
  ) {}

  /** Generates the pairs (on libuv's thread pool, together) and opens the record file. */
  static async start(dataDir: string, arnOf: (keyId: string) => string, pairs = REFERENCE_WRAPPING_PAIRS): Promise<ReferenceImport> {
    const generated = await Promise.all(
      Array.from({ length: pairs }, async () => {
        const { publicKey, privateKey } = await generate('rsa', { modulusLength: 2048 });
        return { publicKeyDer: publicKey.export({ type: 'spki', format: 'der' }), privateKeyDer: privateKey.export({ type: 'pkcs8', format: 'der' }) };
      }),
    );
    return new ReferenceImport(generated, openSync(join(dataDir, REFERENCE_IMPORT_RECORDS), 'a', 0o600), arnOf);
  }

  async getParametersForImport(input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { KeyId: keyId, WrappingAlgorithm: wrappingAlgorithm, WrappingKeySpec: wrappingKeySpec } = input;
    if (typeof keyId !== 'string' || keyId.length === 0) throw new ValidationError('KeyId is required.');
    if (wrappingAlgorithm !== 'RSAES_OAEP_SHA_256' || wrappingKeySpec !== 'RSA_2048') throw new ValidationError('RSAES_OAEP_SHA_256 with RSA_2048 only.');
    const pair = this.pairs[this.next++ % this.pairs.length];
    const claims = { tokenId: randomUUID(), keyArn: this.arnOf(keyId), wrappingAlgorithm, wrappingKeySpec, parametersValidTo: Date.now() + VALIDITY_MS };
    const publicKeyFingerprint = createHash('sha256').update(pair.publicKeyDer).digest('hex');
    await this.durably(`${JSON.stringify({ type: 'ImportParametersIssued', ...claims, publicKeyFingerprint, recordedAt: new Date().toISOString() })}\n`);
    return {
      KeyId: claims.keyArn,
      ImportToken: this.seal(Buffer.from(JSON.stringify(claims)), pair).toString('base64'),
      PublicKey: pair.publicKeyDer.toString('base64'),
      ParametersValidTo: claims.parametersValidTo / 1000,
    };
  }

  close(): void {
    closeSync(this.records);
  }

  /** Token = nonce (12) || tag (16) || AES-256-GCM(claims || private key), as Keyledger's carries both. */
  private seal(claims: Buffer, pair: WrappingPair): Buffer {
    const privateKey = Buffer.from(pair.privateKeyDer); // this call's copy, zeroed once sealed
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.tokenKey, nonce);
    const sealed = Buffer.concat([cipher.update(claims), cipher.update(privateKey), cipher.final()]);
    privateKey.fill(0);
    return Buffer.concat([nonce, cipher.getAuthTag(), sealed]);
  }

  /** Resolves once the line is on disk; the lines of one turn go in one write and one fdatasync. */
  private durably(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (error: Error | null): void => (error ? reject(error) : resolve());
      if (this.pending.push({ line, done }) === 1) setImmediate(() => this.commit());
    });
  }

  private commit(): void {
    const group = this.pending;
    this.pending = [];
    const finish = (error: Error | null): void => group.forEach(({ done }) => done(error));
    write(this.records, group.map(({ line }) => line).join(''), (error) => (error ? finish(error) : fdatasync(this.records, finish)));
  }
}
