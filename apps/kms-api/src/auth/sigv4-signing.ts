import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

// This module also runs in the signing thread (signing-thread.ts), loaded there by its compiled path: it may import
// only node: modules and packages, never a path alias or a module that does.

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const MAX_CACHED_SIGNERS = 1000;

/** Everything the expected signature of a request depends on, as plain data (it is posted to the signing thread). */
export interface SigningJob {
  method: string;
  hostname: string;
  /** The path as sent, without the query. */
  path: string;
  query: Record<string, string | string[]>;
  /** The signed headers only, by lower-case name. */
  headers: Record<string, string>;
  /** The exact body bytes. */
  body: Uint8Array;
  /** X-Amz-Content-Sha256 as sent, if it was. */
  declaredPayloadHash?: string;
  signedAt: number;
  signedHeaders: string[];
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  service: string;
}

/** The signature the request should carry (lower-case hex), or why none can be computed. */
export type SigningOutcome = { signature: string } | { refused: 'unsigned-payload' | 'payload-hash-mismatch' };

/** node:crypto behind the hash interface @smithy/signature-v4 asks for (a hash, or an HMAC when given a secret). */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string' ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

export class NodeSha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

/**
 * One signer per (credential, region, service), kept: the signer caches its derived signing keys (one per day), so
 * reusing it saves four HMACs and an object per request. Bounded; keyed by the secret too, so a credential whose
 * secret changes in the reloaded file never reuses the old signer.
 */
export class SignerCache {
  private readonly signers = new Map<string, SignatureV4>();

  signerFor(job: SigningJob): SignatureV4 {
    const cacheKey = JSON.stringify([job.accessKeyId, job.secretAccessKey, job.sessionToken ?? null, job.region, job.service]);
    let signer = this.signers.get(cacheKey);
    if (!signer) {
      signer = new SignatureV4({
        credentials: { accessKeyId: job.accessKeyId, secretAccessKey: job.secretAccessKey, sessionToken: job.sessionToken },
        region: job.region,
        service: job.service,
        sha256: NodeSha256,
        applyChecksum: false,
      });
      if (this.signers.size >= MAX_CACHED_SIGNERS) this.signers.delete(this.signers.keys().next().value!);
      this.signers.set(cacheKey, signer);
    }
    return signer;
  }
}

/**
 * The expected signature: the request re-signed as received with the stored secret through @smithy/signature-v4
 * (the signer the AWS SDKs use). The body is always part of it: a declared x-amz-content-sha256 must match the
 * body, and UNSIGNED-PAYLOAD is refused.
 */
export async function expectedSignature(job: SigningJob, signers: SignerCache): Promise<SigningOutcome> {
  if (job.declaredPayloadHash !== undefined) {
    if (job.declaredPayloadHash === UNSIGNED_PAYLOAD) return { refused: 'unsigned-payload' };
    if (job.declaredPayloadHash !== createHash('sha256').update(job.body).digest('hex')) return { refused: 'payload-hash-mismatch' };
  }
  const signed = await signers.signerFor(job).sign(
    { method: job.method, protocol: 'http:', hostname: job.hostname, path: job.path, query: job.query, headers: job.headers, body: job.body },
    { signingDate: new Date(job.signedAt), signableHeaders: new Set(job.signedHeaders) },
  );
  const match = /Signature=([0-9a-f]+)$/.exec(String(signed.headers.authorization ?? signed.headers.Authorization));
  return { signature: match?.[1] ?? '' };
}
