import type { Request } from 'express';
import type { Caller } from '../../auth/request-authenticator';

/** An Express request once RequestIdInterceptor has named it and RestAuthenticationGuard has authenticated it. */
export type RestRequest = Request & {
  requestId?: string;
  /** The body's exact bytes, kept by the JSON body parser for signature verification. */
  rawBody?: Buffer;
  caller?: Caller;
};
