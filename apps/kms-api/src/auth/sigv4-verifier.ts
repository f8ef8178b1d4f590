import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AwsProtocolError } from '../aws-json/aws-protocol-error';
import { Credential, CredentialStore } from './credentials';
import { expectedSignature, SignerCache, SigningJob, SigningOutcome } from './sigv4-signing';
import type { SigningThread } from './signing-thread';

/** AWS's allowed clock skew for KMS requests (kms-operations-reference.md §14: "- 5 min."). */
export const MAX_SKEW_MS = 5 * 60 * 1000;
const ALGORITHM = 'AWS4-HMAC-SHA256';

/** A request as it arrived: method, raw path and query, headers, and the exact body bytes. */
export interface ReceivedRequest {
  method: string;
  /** The request target as sent (path and query, still percent-encoded). */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Who signed the request, and the region its credential scope names. */
export interface VerifiedSigner {
  credential: Credential;
  region: string;
}

const incomplete = (message: string) => new AwsProtocolError('IncompleteSignatureException', message);
const invalidSignature = (message: string) => new AwsProtocolError('InvalidSignatureException', message);
export const missingToken = () => new AwsProtocolError('MissingAuthenticationTokenException', 'Missing Authentication Token');
const unrecognized = () => new AwsProtocolError('UnrecognizedClientException', 'The security token included in the request is invalid.');
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** `AWS4-HMAC-SHA256 Credential=<id>/<date>/<region>/<service>/aws4_request, SignedHeaders=a;b, Signature=<hex>`. */
function parseAuthorization(header: string): ParsedAuthorization {
  if (!header.startsWith(`${ALGORITHM} `)) throw incomplete(`Authorization header requires the ${ALGORITHM} algorithm. Authorization=${header}`);
  const fields = new Map<string, string>();
  for (const part of header.slice(ALGORITHM.length + 1).split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    if (eq <= 0) throw incomplete(`'${item}' not a valid key=value pair (missing equal-sign) in Authorization header: '${header}'.`);
    fields.set(item.slice(0, eq), item.slice(eq + 1));
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((f) => !fields.get(f));
  if (missing.length > 0) throw incomplete(`${missing.map((f) => `Authorization header requires '${f}' parameter.`).join(' ')} Authorization=${header}`);
  const scope = fields.get('Credential')!.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || scope.some((s) => s === '')) {
    throw incomplete(`Credential should be scoped to <access key>/<date>/<region>/<service>/aws4_request, not '${fields.get('Credential')}'.`);
  }
  const [accessKeyId, date, region, service] = scope;
  return { accessKeyId, date, region, service, signedHeaders: fields.get('SignedHeaders')!.split(';'), signature: fields.get('Signature')! };
}

/** X-Amz-Date's basic ISO-8601 form: 20240820T230143Z. */
function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

const amzDate = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** Never mutated: the query of every request without one (the AWS JSON endpoint's POST /), without parsing a URL. */
const NO_QUERY = new URLSearchParams();
const queryOf = (url: string): URLSearchParams => (url.includes('?') ? new URL(url, 'http://localhost').searchParams : NO_QUERY);

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

/**
 * AWS Signature Version 4, verified by re-signing the request as received with the stored secret (sigv4-signing:
 * @smithy/signature-v4, the signer the AWS SDKs use) and comparing signatures in constant time. Refusals use the
 * types and texts of kms-operations-reference.md §14. The body is always part of the signature: an
 * x-amz-content-sha256 header must match it and UNSIGNED-PAYLOAD is refused. Given a signing thread, the re-signing
 * goes there when the thread wants it (see SigningThread), and inline if the thread fails.
 */
export class SigV4Verifier {
  private readonly signers = new SignerCache();

  constructor(
    private readonly credentials: CredentialStore,
    private readonly now: () => number,
    /** Headers that must be signed besides host and x-amz-date (the AWS JSON endpoint adds x-amz-target). */
    private readonly requiredSignedHeaders: readonly string[] = [],
    private readonly signingThread?: SigningThread,
  ) {}

  async verify(request: ReceivedRequest, extraRequired: readonly string[] = []): Promise<VerifiedSigner> {
    const authorization = header(request.headers, 'authorization');
    const query = queryOf(request.url);
    if (authorization === undefined) {
      // Presigned query-string requests are refused rather than ignored: KMS clients sign the header.
      if (query.has('X-Amz-Signature') || query.has('X-Amz-Credential')) {
        throw incomplete('Presigned (query-string) requests are not accepted; sign the request with an Authorization header.');
      }
      throw missingToken();
    }
    const auth = parseAuthorization(authorization);
    const dateHeader = header(request.headers, 'x-amz-date');
    if (dateHeader === undefined) throw incomplete(`Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization}`);
    const signedAt = parseAmzDate(dateHeader);
    if (signedAt === undefined) throw incomplete(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'", not '${dateHeader}'.`);
    this.checkSkew(dateHeader, signedAt);
    if (auth.date !== dateHeader.slice(0, 8)) throw invalidSignature('Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP');
    if (auth.service !== 'kms') throw invalidSignature(`Credential should be scoped to correct service: 'kms'.`);
    for (const name of auth.signedHeaders) {
      if (request.headers[name] === undefined) throw incomplete(`'${name}' is named as a SignedHeader, but it does not exist in the HTTP request.`);
    }
    for (const name of ['host', 'x-amz-date', ...this.requiredSignedHeaders, ...extraRequired]) {
      if (!auth.signedHeaders.includes(name)) throw incomplete(`'${name}' must be a SignedHeader.`);
    }
    const credential = this.credentials.byAccessKeyId(auth.accessKeyId);
    if (!credential) throw unrecognized();
    if (credential.sessionToken !== undefined && header(request.headers, 'x-amz-security-token') !== credential.sessionToken) throw unrecognized();
    const outcome = await this.signatureOf(signingJob(request, auth, credential, signedAt, query));
    if ('refused' in outcome) {
      throw invalidSignature(
        outcome.refused === 'unsigned-payload'
          ? 'UNSIGNED-PAYLOAD is not accepted: the request body must be signed.'
          : 'The provided x-amz-content-sha256 header does not match what was computed.',
      );
    }
    const expected = Buffer.from(outcome.signature, 'utf8');
    const given = Buffer.from(auth.signature, 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidSignature(SIGNATURE_MISMATCH);
    return { credential, region: auth.region };
  }

  private checkSkew(dateHeader: string, signedAt: number): void {
    const now = this.now();
    if (signedAt < now - MAX_SKEW_MS) {
      throw invalidSignature(`Signature expired: ${dateHeader} is now earlier than ${amzDate(now - MAX_SKEW_MS)} (${amzDate(now)} - 5 min.)`);
    }
    if (signedAt > now + MAX_SKEW_MS) {
      throw invalidSignature(`Signature not yet current: ${dateHeader} is still later than ${amzDate(now + MAX_SKEW_MS)} (${amzDate(now)} + 5 min.)`);
    }
  }

  /** On the signing thread when it wants the job, else (or if it fails) here. */
  private signatureOf(job: SigningJob): Promise<SigningOutcome> {
    if (this.signingThread?.wanted()) return this.signingThread.sign(job).catch(() => expectedSignature(job, this.signers));
    return expectedSignature(job, this.signers);
  }
}

/** What the expected signature depends on: the signed headers, path and query as received, the credential and scope. */
function signingJob(request: ReceivedRequest, auth: ParsedAuthorization, credential: Credential, signedAt: number, query: URLSearchParams): SigningJob {
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) headers[name] = header(request.headers, name)!;
  const queryObject: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    queryObject[key] = values.length === 1 ? values[0] : values;
  }
  const queryStart = request.url.indexOf('?');
  return {
    method: request.method,
    hostname: header(request.headers, 'host') ?? '',
    path: queryStart < 0 ? request.url : request.url.slice(0, queryStart),
    query: queryObject,
    headers,
    body: request.body,
    declaredPayloadHash: header(request.headers, 'x-amz-content-sha256'),
    signedAt,
    signedHeaders: auth.signedHeaders,
    accessKeyId: credential.accessKeyId,
    secretAccessKey: credential.secretAccessKey,
    sessionToken: credential.sessionToken,
    region: auth.region,
    service: auth.service,
  };
}
