import { Injectable } from '@nestjs/common';
import type { RequestContext } from '@keyledger/application';
import { callerContext } from '../../auth/request-authenticator';
import { parseIfMatch } from './etag';
import type { RestRequest } from './rest-request';

/**
 * Who is calling: the caller RestAuthenticationGuard authenticated (RequestAuthenticator, as on the AWS endpoint).
 * `operation` is the AWS operation name, so the audit trail reads the same whichever endpoint a change came
 * through.
 */
@Injectable()
export class RestContextResolver {
  identify(request: RestRequest, operation: string): RequestContext {
    // RestAuthenticationGuard ran first: every REST controller is a RestEndpoint.
    if (!request.caller) throw new Error('REST request reached a controller without authentication.');
    return callerContext(request.caller, operation, request.requestId!);
  }

  /** For a change to an existing key: also the revision named in If-Match, which the command must find. */
  forChange(request: RestRequest, operation: string): RequestContext {
    const expectedRevision = parseIfMatch(request.headers['if-match']);
    const ctx = this.identify(request, operation);
    return expectedRevision === undefined ? ctx : { ...ctx, expectedRevision };
  }
}
