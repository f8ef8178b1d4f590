import type { IncomingHttpHeaders } from 'node:http';
import type { RequestContext } from '@keyledger/application';

export const IDENTITY_OPTIONS = Symbol('IdentityOptions');

export interface IdentityOptions {
  defaultAccountId: string;
  defaultRegion: string;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/[^/,\s]+\/aws4_request/;
const ACCOUNT_ID = /^\d{12}$/;

/**
 * Who is calling and where: the access key id and region of the SigV4 credential scope in the Authorization
 * header. A 12-digit access key id names its account (LocalStack's convention, handy for multi-account tests);
 * any other key, `test` included, belongs to the default account. The signature itself is not verified yet:
 * this is the one place where that check will go.
 */
export function resolveRequestContext(headers: IncomingHttpHeaders, operation: string, requestId: string, options: IdentityOptions): RequestContext {
  const match = CREDENTIAL.exec(String(headers.authorization ?? ''));
  const accessKeyId = match?.[1] ?? 'anonymous';
  const region = match?.[2] ?? options.defaultRegion;
  const accountId = ACCOUNT_ID.test(accessKeyId) ? accessKeyId : options.defaultAccountId;
  return {
    accountId,
    region,
    principal: { type: 'User', accountId, accessKeyId },
    requestId,
    correlationId: requestId,
    operation,
  };
}
