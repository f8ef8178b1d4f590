import { Agent } from 'node:http';
import { randomBytes } from 'node:crypto';
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  KMSClient,
} from '@aws-sdk/client-kms';
import { wrapForImport } from '../test/support/client-wrapping';
import { now } from './measure';

export type WrappingKeySpec = 'RSA_2048' | 'RSA_3072' | 'RSA_4096';
export const WRAPPING_KEY_SPECS: readonly WrappingKeySpec[] = ['RSA_2048', 'RSA_3072', 'RSA_4096'];

/** An AWS SDK client for the service with its own keep-alive agent; close() drops the agent's sockets. */
export class BenchClient {
  private static readonly open = new Set<BenchClient>();
  readonly kms: KMSClient;
  private readonly agent: Agent;

  /** Drops every client's connections (on SIGINT, so the service can shut down at once). */
  static closeAll(): void {
    for (const client of [...BenchClient.open]) client.close();
  }

  constructor(endpoint: string, maxSockets = 64) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
    this.kms = new KMSClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      // Failures are counted, never hidden by retries.
      maxAttempts: 1,
      requestHandler: { httpAgent: this.agent, requestTimeout: 60_000 },
    });
    BenchClient.open.add(this);
  }

  close(): void {
    BenchClient.open.delete(this);
    this.kms.destroy();
    this.agent.destroy();
  }

  async createExternalKey(): Promise<string> {
    const { KeyMetadata } = await this.kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL', Description: 'keyledger bench' }));
    return KeyMetadata!.KeyId!;
  }

  getParametersForImport(keyId: string, spec: WrappingKeySpec) {
    return this.kms.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: spec }));
  }

  /**
   * One full BYOK round: CreateKey(EXTERNAL) → GetParametersForImport(RSA_2048, RSAES_OAEP_SHA_256) →
   * client-side wrap → ImportKeyMaterial. Returns the key id and each step's duration in ms.
   */
  async importFlow(): Promise<{ keyId: string; steps: ImportFlowSteps }> {
    const t0 = now();
    const keyId = await this.createExternalKey();
    const t1 = now();
    const params = await this.getParametersForImport(keyId, 'RSA_2048');
    const t2 = now();
    const { wrap, importKeyMaterial } = await this.importWithParameters(keyId, params);
    return { keyId, steps: { createKey: t1 - t0, getParametersForImport: t2 - t1, wrap, importKeyMaterial, total: now() - t0 } };
  }

  /** Wraps 32 random bytes for previously fetched import parameters and imports them; each step's duration in ms. */
  async importWithParameters(keyId: string, params: { PublicKey?: Uint8Array; ImportToken?: Uint8Array }): Promise<{ wrap: number; importKeyMaterial: number }> {
    const t0 = now();
    const encrypted = wrapForImport('RSAES_OAEP_SHA_256', params.PublicKey!, randomBytes(32));
    const t1 = now();
    await this.kms.send(
      new ImportKeyMaterialCommand({
        KeyId: keyId,
        ImportToken: params.ImportToken,
        EncryptedKeyMaterial: encrypted,
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }),
    );
    return { wrap: t1 - t0, importKeyMaterial: now() - t1 };
  }

  /** DescribeKey that tells "not found (yet)" apart from other failures: true if found, false on NotFoundException. */
  async keyVisible(keyId: string): Promise<boolean> {
    try {
      await this.describeKey(keyId);
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'NotFoundException') return false;
      throw error;
    }
  }

  async describeKey(keyId: string): Promise<void> {
    const { KeyMetadata } = await this.kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    if (KeyMetadata?.KeyId !== keyId) throw new Error('DescribeKey returned another key');
  }

  async encrypt(keyId: string, plaintext: Uint8Array): Promise<void> {
    const { CiphertextBlob } = await this.kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext }));
    if (!CiphertextBlob || CiphertextBlob.length <= plaintext.length) throw new Error('Encrypt returned no ciphertext');
  }
}

export interface ImportFlowSteps {
  createKey: number;
  getParametersForImport: number;
  wrap: number;
  importKeyMaterial: number;
  total: number;
}
