import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { RequestContext } from '@keyledger/application';
import { AwsProtocolError } from '../aws-json/aws-protocol-error';
import { Credential, CredentialStore } from './credentials';
import { SigningThread } from './signing-thread';
import { missingToken, ReceivedRequest, SigV4Verifier } from './sigv4-verifier';

export const CREDENTIAL_STORE = Symbol('CredentialStore');
export const AUTHENTICATION_OPTIONS = Symbol('AuthenticationOptions');

export interface AuthenticationOptions {
  /** Region of requests that name none (bearer-token REST calls). */
  defaultRegion: string;
  /** Re-sign requests on a thread of its own while the service is busy (KEYLEDGER_SIGNING_THREAD; see SigningThread). */
  signingThread: boolean;
}

/** Who called, as every event, usage record and audit entry will name them. */
export interface Caller {
  credential: Credential;
  region: string;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * The one identity resolver: every AWS JSON and REST request is authenticated here before any command or query
 * runs. AWS JSON requests must carry a valid SigV4 signature (with X-Amz-Target signed, so the operation cannot be
 * swapped); REST requests may instead present a bearer token from the credentials file. The caller's account and
 * principal name come from the credentials file, never from the request.
 */
@Injectable()
export class RequestAuthenticator implements OnApplicationShutdown {
  private readonly sigv4: SigV4Verifier;
  /** Present when KEYLEDGER_SIGNING_THREAD is on (read by the metrics). */
  readonly signingThread?: SigningThread;

  constructor(
    @Inject(CREDENTIAL_STORE) private readonly credentials: CredentialStore,
    @Inject(AUTHENTICATION_OPTIONS) private readonly options: AuthenticationOptions,
  ) {
    if (options.signingThread) this.signingThread = new SigningThread();
    // Signature freshness is judged by the wall clock, whatever clock the service's decisions use.
    this.sigv4 = new SigV4Verifier(credentials, () => Date.now(), [], this.signingThread);
  }

  async onApplicationShutdown(): Promise<void> {
    this.credentials.close();
    await this.signingThread?.close();
  }

  async awsJson(request: ReceivedRequest): Promise<Caller> {
    return this.signed(request, ['x-amz-target']);
  }

  async rest(request: ReceivedRequest): Promise<Caller> {
    const authorization = request.headers.authorization;
    if (typeof authorization === 'string' && authorization.startsWith('Bearer ')) {
      const credential = this.credentials.byBearerToken(authorization.slice('Bearer '.length).trim());
      if (!credential) throw new AwsProtocolError('UnrecognizedClientException', 'The bearer token is not valid.');
      return { credential, region: this.options.defaultRegion };
    }
    if (authorization === undefined && !hasPresignedQuery(request)) throw missingToken();
    return this.signed(request, []);
  }

  private async signed(request: ReceivedRequest, requiredSignedHeaders: string[]): Promise<Caller> {
    const { credential, region } = await this.sigv4.verify(request, requiredSignedHeaders);
    if (!REGION.test(region)) throw new AwsProtocolError('InvalidSignatureException', `Credential should be scoped to a valid Region, not '${region}'.`);
    return { credential, region };
  }
}

const hasPresignedQuery = (request: ReceivedRequest) => /[?&]X-Amz-(Signature|Credential)=/.test(request.url);

/** The request context of an authenticated caller: every change it causes names this principal. */
export function callerContext(caller: Caller, operation: string, requestId: string): RequestContext {
  const { credential, region } = caller;
  return {
    accountId: credential.accountId,
    region,
    principal: { type: 'User', accountId: credential.accountId, accessKeyId: credential.accessKeyId, name: credential.principal },
    requestId,
    correlationId: requestId,
    operation,
  };
}
