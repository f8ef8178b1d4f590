/**
 * The floor of the side-by-side benchmark (bench/side-by-side.ts): a bare node:http server, no framework,
 * answering TrentService.Encrypt, Decrypt, GenerateDataKey, Sign (ECC_NIST_P256, ECDSA_SHA_256), GenerateMac
 * (HMAC_SHA_256) and DescribeKey for one in-memory key each, with the work Keyledger cannot skip: SigV4
 * verification by the service's own SigV4Verifier (@smithy/signature-v4), AES-256-GCM, ECDSA and HMAC from
 * node:crypto, AWS JSON 1.1 in and out. Nothing else: no store, no audit, no validation beyond what the
 * operation needs. GetParametersForImport, the floor of the import bursts, is in bench/reference-import.ts.
 * Run as its own process (`node dist/bench/reference-server.js`, PORT, HOST and DATA_DIR from the environment);
 * GET /health answers `{ status: 'ok', keys }` with the key ids the benchmark drives.
 */
import { createCipheriv, createDecipheriv, createHmac, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Only node: modules, @smithy/signature-v4 and the protocol error class at run time: no Nest.
import { SigV4Verifier } from '../apps/kms-api/src/auth/sigv4-verifier';
import type { Credential, CredentialStore } from '../apps/kms-api/src/auth/credentials';
import { ReferenceImport } from './reference-import';

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const arnOf = (keyId: string): string => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;
const credential: Credential = { accessKeyId: 'test', secretAccessKey: 'test', accountId: ACCOUNT, principal: `arn:aws:iam::${ACCOUNT}:root` };
const credentials = { byAccessKeyId: (id: string) => (id === credential.accessKeyId ? credential : undefined) } as unknown as CredentialStore;
const verifier = new SigV4Verifier(credentials, Date.now, ['x-amz-target']);

class ClientError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

interface Key {
  id: string;
  arn: string;
  spec: 'SYMMETRIC_DEFAULT' | 'ECC_NIST_P256' | 'HMAC_256';
  usage: string;
  created: number;
}
const newKey = (spec: Key['spec'], usage: string): Key => {
  const id = randomUUID();
  return { id, arn: arnOf(id), spec, usage, created: Date.now() / 1000 };
};
const symmetric = { ...newKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'), material: randomBytes(32) };
const ecc = { ...newKey('ECC_NIST_P256', 'SIGN_VERIFY'), privateKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey };
const hmac = { ...newKey('HMAC_256', 'GENERATE_VERIFY_MAC'), material: randomBytes(32) };
const keys = new Map<string, Key>();
for (const key of [symmetric, ecc, hmac]) keys.set(key.id, key).set(key.arn, key);

function keyFor<K extends Key>(input: Record<string, unknown>, wanted: K): K {
  const key = typeof input.KeyId === 'string' ? keys.get(input.KeyId) : undefined;
  if (!key) throw new ClientError('NotFoundException', `Key '${String(input.KeyId)}' does not exist`);
  if (key !== wanted) throw new ClientError('InvalidKeyUsageException', `${key.arn} is ${key.usage}.`);
  return wanted;
}

const blob = (input: Record<string, unknown>, name: string): Buffer => {
  if (typeof input[name] !== 'string') throw new ClientError('ValidationException', `${name} is required.`);
  return Buffer.from(input[name] as string, 'base64');
};

// Ciphertext blob: key id (36 ASCII bytes), 12-byte IV, 16-byte tag, ciphertext; the key id is also the AAD.
const ID_BYTES = 36;
function seal(plaintext: Buffer): Buffer {
  const iv = randomBytes(12);
  const id = Buffer.from(symmetric.id, 'ascii');
  const cipher = createCipheriv('aes-256-gcm', symmetric.material, iv).setAAD(id);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([id, iv, cipher.getAuthTag(), body]);
}
function open(ciphertext: Buffer): Buffer {
  if (ciphertext.length < ID_BYTES + 28 || ciphertext.toString('ascii', 0, ID_BYTES) !== symmetric.id) throw new ClientError('InvalidCiphertextException', 'Invalid ciphertext.');
  const decipher = createDecipheriv('aes-256-gcm', symmetric.material, ciphertext.subarray(ID_BYTES, ID_BYTES + 12))
    .setAAD(ciphertext.subarray(0, ID_BYTES))
    .setAuthTag(ciphertext.subarray(ID_BYTES + 12, ID_BYTES + 28));
  try {
    return Buffer.concat([decipher.update(ciphertext.subarray(ID_BYTES + 28)), decipher.final()]);
  } catch {
    throw new ClientError('InvalidCiphertextException', 'Invalid ciphertext.');
  }
}

type Operation = (input: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>;
const operations: Record<string, Operation> = {
  Encrypt: (input) => {
    const key = keyFor(input, symmetric);
    return { KeyId: key.arn, CiphertextBlob: seal(blob(input, 'Plaintext')).toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  },
  Decrypt: (input) => {
    if (input.KeyId !== undefined) keyFor(input, symmetric);
    const plaintext = open(blob(input, 'CiphertextBlob'));
    return { KeyId: symmetric.arn, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  },
  GenerateDataKey: (input) => {
    const key = keyFor(input, symmetric);
    if (input.KeySpec !== 'AES_256') throw new ClientError('ValidationException', 'KeySpec AES_256 only.');
    const dataKey = randomBytes(32);
    return { KeyId: key.arn, Plaintext: dataKey.toString('base64'), CiphertextBlob: seal(dataKey).toString('base64') };
  },
  Sign: (input) => {
    const key = keyFor(input, ecc);
    if (input.SigningAlgorithm !== 'ECDSA_SHA_256' || input.MessageType !== 'RAW') throw new ClientError('ValidationException', 'ECDSA_SHA_256 on a RAW message only.');
    const signature = sign('sha256', blob(input, 'Message'), { key: key.privateKey, dsaEncoding: 'der' });
    return { KeyId: key.arn, Signature: signature.toString('base64'), SigningAlgorithm: 'ECDSA_SHA_256' };
  },
  GenerateMac: (input) => {
    const key = keyFor(input, hmac);
    if (input.MacAlgorithm !== 'HMAC_SHA_256') throw new ClientError('ValidationException', 'HMAC_SHA_256 only.');
    const mac = createHmac('sha256', key.material).update(blob(input, 'Message')).digest();
    return { KeyId: key.arn, Mac: mac.toString('base64'), MacAlgorithm: 'HMAC_SHA_256' };
  },
  DescribeKey: (input) => {
    const key = typeof input.KeyId === 'string' ? keys.get(input.KeyId) : undefined;
    if (!key) throw new ClientError('NotFoundException', `Key '${String(input.KeyId)}' does not exist`);
    return {
      KeyMetadata: {
        AWSAccountId: ACCOUNT,
        KeyId: key.id,
        Arn: key.arn,
        CreationDate: key.created,
        Enabled: true,
        Description: '',
        KeyUsage: key.usage,
        KeyState: 'Enabled',
        Origin: 'AWS_KMS',
        KeyManager: 'CUSTOMER',
        CustomerMasterKeySpec: key.spec,
        KeySpec: key.spec,
        MultiRegion: false,
        ...(key.spec === 'SYMMETRIC_DEFAULT' ? { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] } : {}),
        ...(key.spec === 'ECC_NIST_P256' ? { SigningAlgorithms: ['ECDSA_SHA_256'] } : {}),
        ...(key.spec === 'HMAC_256' ? { MacAlgorithms: ['HMAC_SHA_256'] } : {}),
      },
    };
  },
};

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': randomUUID() });
  response.end(text);
}

async function handle(request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> {
  try {
    await verifier.verify({ method: request.method ?? 'POST', url: request.url ?? '/', headers: request.headers, body });
    const target = request.headers['x-amz-target'];
    const operation = typeof target === 'string' && target.startsWith('TrentService.') ? operations[target.slice('TrentService.'.length)] : undefined;
    if (!operation) throw new ClientError('UnknownOperationException', `Unknown operation ${String(target)}`);
    let input: unknown;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      throw new ClientError('SerializationException', 'The request body is not JSON.');
    }
    if (!input || typeof input !== 'object') throw new ClientError('SerializationException', 'The request body is not a JSON object.');
    reply(response, 200, await operation(input as Record<string, unknown>));
  } catch (error) {
    // ClientError, or the verifier's AwsProtocolError (which carries its own status).
    const e = error as { type?: string; name?: string; message?: string; status?: number };
    const known = error instanceof ClientError || e.type !== undefined;
    reply(response, known ? (e.status ?? 400) : 500, { __type: known ? (e.type ?? e.name) : 'KMSInternalException', message: e.message });
  }
}

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/health') {
    reply(response, 200, { status: 'ok', keys: { symmetric: symmetric.id, ecc: ecc.id, hmac: hmac.id } });
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => void handle(request, Buffer.concat(chunks), response));
});
server.keepAliveTimeout = 5000;

async function serve(): Promise<void> {
  const imports = await ReferenceImport.start(process.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'keyledger-reference-')), arnOf);
  operations.GetParametersForImport = (input) => imports.getParametersForImport(input);
  const stop = (): void => {
    server.close(() => {
      imports.close();
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
    const address = server.address();
    console.log(`reference server listening on ${typeof address === 'object' && address ? `${address.address}:${address.port}` : String(address)}`);
  });
}

serve().catch((error: Error) => {
  console.error(`reference server could not start: ${error.stack ?? error.message}`);
  process.exit(1);
});
