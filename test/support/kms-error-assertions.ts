import { KEY_STREAM_PREFIX } from '@keyledger/domain';
import { readEventLog } from './event-log';
import { DescribeKeyCommand, GetParametersForImportCommand, KMSClient } from '@aws-sdk/client-kms';
import { ClientWrappingAlgorithm, wrapForImport } from './client-wrapping';
import type { RunningKeyledger } from './keyledger-harness';

/** What a refused SDK call looks like: the modeled error name (`__type`), its message and the HTTP status. */
export interface KmsFailure {
  name: string;
  message: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Awaits a call that must be refused and checks the error the AWS SDK surfaces: `name` (the __type), `message`
 * (exact string, or a RegExp where it embeds generated ids) and `$metadata.httpStatusCode` (400 unless told).
 */
export async function expectKmsError(call: Promise<unknown>, name: string, message: string | RegExp, status = 400): Promise<KmsFailure> {
  const outcome = await call.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error: error as KmsFailure }),
  );
  if (outcome.ok) throw new Error(`Expected ${name} but the call succeeded: ${summary(outcome.value)}`);
  const { error } = outcome;
  expect({ name: error.name, status: error.$metadata?.httpStatusCode }).toEqual({ name, status });
  if (typeof message === 'string') expect(error.message).toBe(message);
  else expect(error.message).toMatch(message);
  return error;
}

/** A short description of a successful response (blobs shown by length only). */
function summary(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  const shown = Object.entries(value)
    .filter(([member]) => member !== '$metadata')
    .map(([member, v]) => `${member}=${v instanceof Uint8Array ? `<${v.length} bytes>` : JSON.stringify(v)}`);
  return `{ ${shown.join(', ')} }`;
}

/** Escapes text for use inside a RegExp. */
export const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The event log's head (GET /health) once it has stopped moving: the uses of an earlier step reach the log as a
 * usage batch up to KEYLEDGER_USAGE_FLUSH_MS (25 ms) later, which must not count as a change made by the next one.
 */
export async function eventHead(kl: Pick<RunningKeyledger, 'url'>): Promise<number> {
  const read = async () => ((await (await fetch(`${kl.url}/health`)).json()) as { eventStore: { headPosition: number } }).eventStore.headPosition;
  for (let head = await read(); ; ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = await read();
    if (again === head) return head;
    head = again;
  }
}

export async function describeKey(kms: KMSClient, keyId: string) {
  return (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
}

/** Every event of every key stream (refusals are audited in streams of their own and do not count as changes). */
const keyEvents = (kl: RunningKeyledger) => readEventLog(kl.dataDir).filter((e) => e.streamId.startsWith(KEY_STREAM_PREFIX));

/**
 * Runs a refusal and checks that it changed nothing: DescribeKey returns the same metadata and no key stream
 * has a new event.
 */
export async function expectNoChange(kl: RunningKeyledger, kms: KMSClient, keyId: string, refusal: () => Promise<unknown>): Promise<void> {
  const before = await describeKey(kms, keyId);
  const eventsBefore = keyEvents(kl);
  await refusal();
  expect(await describeKey(kms, keyId)).toEqual(before);
  expect(keyEvents(kl)).toEqual(eventsBefore);
}

/** GetParametersForImport, then wraps `material` locally with the returned public key. */
export async function wrapped(
  kms: KMSClient,
  keyId: string,
  material: Buffer,
  algorithm: ClientWrappingAlgorithm = 'RSAES_OAEP_SHA_256',
  wrappingKeySpec: 'RSA_2048' | 'RSA_3072' | 'RSA_4096' = 'RSA_2048',
) {
  const params = await kms.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: wrappingKeySpec }));
  return {
    params,
    ImportToken: params.ImportToken!,
    EncryptedKeyMaterial: wrapForImport(algorithm, params.PublicKey!, material),
  };
}
