import { spawn, type ChildProcess } from 'node:child_process';
import { constants, createHash, createPublicKey, publicEncrypt, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AwsJsonClient } from '../../bench/aws-json';
import { REFERENCE_IMPORT_RECORDS, ReferenceImport } from '../../bench/reference-import';
import { checkImportParameters, importParametersRequest } from '../../bench/import-limits';

const arnOf = (keyId: string): string => `arn:aws:kms:us-east-1:000000000000:key/${keyId}`;
const records = (dir: string): Array<Record<string, unknown>> =>
  readFileSync(join(dir, REFERENCE_IMPORT_RECORDS), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('GetParametersForImport on the bare reference server (the floor of the import bursts)', () => {
  let dir: string;
  let imports: ReferenceImport;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reference-import-'));
    imports = await ReferenceImport.start(dir, arnOf, 2);
  });
  afterAll(() => {
    imports.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records every issue on disk before answering, with the fingerprint of the public key it answers', async () => {
    const keyIds = Array.from({ length: 8 }, () => randomUUID());
    const before = records(dir).length;
    const answers = await Promise.all(
      keyIds.map(async (keyId) => {
        const answer = await imports.getParametersForImport(importParametersRequest(keyId));
        // Resolved only once written: the record is in the file when the caller gets its answer.
        expect(records(dir).map((record) => record.keyArn)).toContain(arnOf(keyId));
        return answer;
      }),
    );
    const written = records(dir).slice(before);
    expect(written.map((record) => record.keyArn).sort()).toEqual(keyIds.map(arnOf).sort());
    for (const answer of answers) {
      checkImportParameters(answer);
      const record = written.find((r) => r.keyArn === answer.KeyId)!;
      expect(record.publicKeyFingerprint).toBe(createHash('sha256').update(Buffer.from(answer.PublicKey as string, 'base64')).digest('hex'));
      expect(record.type).toBe('ImportParametersIssued');
      expect(answer.ParametersValidTo).toBe((record.parametersValidTo as number) / 1000);
    }
    // Two pairs handed out in turn: eight calls, two public keys.
    expect(new Set(answers.map((answer) => answer.PublicKey)).size).toBe(2);
  });

  it('answers a public key that wraps key material with RSAES_OAEP_SHA_256, and a token that does not show it', async () => {
    const answer = await imports.getParametersForImport(importParametersRequest(randomUUID()));
    const publicKey = Buffer.from(answer.PublicKey as string, 'base64');
    const wrapped = publicEncrypt({ key: createPublicKey({ key: publicKey, format: 'der', type: 'spki' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, randomBytes(32));
    expect(wrapped).toHaveLength(256);
    const token = Buffer.from(answer.ImportToken as string, 'base64');
    // The claims are sealed: the key ARN is nowhere in the token.
    expect(token.includes(Buffer.from(answer.KeyId as string))).toBe(false);
  });

  it('refuses another wrapping choice, and records nothing for it', async () => {
    const before = records(dir).length;
    await expect(imports.getParametersForImport({ ...importParametersRequest(randomUUID()), WrappingKeySpec: 'RSA_4096' })).rejects.toMatchObject({ type: 'ValidationException' });
    expect(records(dir)).toHaveLength(before);
  });
});

describe('checkImportParameters (what a burst counts as an answer)', () => {
  it('accepts an RSA_2048 public key with a token, and nothing less', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reference-import-'));
    const imports = await ReferenceImport.start(dir, arnOf, 1);
    try {
      const answer = await imports.getParametersForImport(importParametersRequest(randomUUID()));
      expect(() => checkImportParameters(answer)).not.toThrow();
      expect(() => checkImportParameters({ ...answer, ImportToken: '' })).toThrow(/no RSA_2048 public key or no token/);
      expect(() => checkImportParameters({ ImportToken: answer.ImportToken })).toThrow(/no RSA_2048 public key or no token/);
    } finally {
      imports.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the built reference server answers GetParametersForImport over SigV4-signed AWS JSON', () => {
  const script = resolve(__dirname, '..', '..', 'dist', 'bench', 'reference-server.js');
  let child: ChildProcess;
  let dir: string;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reference-server-'));
    child = spawn(process.execPath, [script], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    url = await new Promise<string>((found, fail) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const listening = /listening on (127\.0\.0\.1:\d+)/.exec(out);
        if (listening) found(`http://${listening[1]}`);
      });
      child.once('exit', (code) => fail(new Error(`reference server exited with ${code}: ${out}`)));
    });
  }, 30_000);
  afterAll(async () => {
    if (child.exitCode === null) await new Promise((done) => child.once('exit', done).kill('SIGTERM'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a burst of calls, each recorded in DATA_DIR, and refuses an unsigned one', async () => {
    const client = new AwsJsonClient(url, 8);
    try {
      const keyIds = Array.from({ length: 8 }, () => randomUUID());
      const answers = await Promise.all(keyIds.map((keyId) => client.call('GetParametersForImport', importParametersRequest(keyId))));
      answers.forEach(checkImportParameters);
      expect(records(dir).map((record) => record.keyArn).sort()).toEqual(keyIds.map(arnOf).sort());

      const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.GetParametersForImport' }, body: JSON.stringify(importParametersRequest(randomUUID())) });
      expect(unsigned.status).toBeGreaterThanOrEqual(400);
      expect(unsigned.status).toBeLessThan(500);
      expect(records(dir)).toHaveLength(8);
    } finally {
      client.close();
    }
  });
});
