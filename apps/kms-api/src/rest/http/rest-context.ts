import { Inject, Injectable } from '@nestjs/common';
import type { RequestContext } from '@keyledger/application';
import { IDENTITY_OPTIONS, IdentityOptions, resolveRequestContext } from '../../aws-json/identity';
import { parseIfMatch } from './etag';
import type { RestRequest } from './rest-request';

/**
 * Who is calling, resolved exactly as the AWS endpoint does (SigV4 credential scope, defaults otherwise).
 * `operation` is the AWS operation name, so the audit trail reads the same whichever endpoint a change came
 * through.
 */
@Injectable()
export class RestContextResolver {
  constructor(@Inject(IDENTITY_OPTIONS) private readonly identity: IdentityOptions) {}

  identify(request: RestRequest, operation: string): RequestContext {
    return resolveRequestContext(request.headers, operation, request.requestId!, this.identity);
  }

  /** For a change to an existing key: also the revision named in If-Match, which the command must find. */
  forChange(request: RestRequest, operation: string): RequestContext {
    const expectedRevision = parseIfMatch(request.headers['if-match']);
    const ctx = this.identify(request, operation);
    return expectedRevision === undefined ? ctx : { ...ctx, expectedRevision };
  }
}
