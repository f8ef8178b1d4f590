import { performance } from 'node:perf_hooks';
import type { NextFunction, Request, Response } from 'express';
import type { Caller } from '../auth/request-authenticator';
import type { RequestObserver } from './request-observer';

/** Probes and scrapes, logged at debug: a load balancer polling /health every second must not fill the log. */
const QUIET_PATHS = new Set(['/health', '/metrics']);

/**
 * The access log and request metrics for everything Nest answers (REST, OpenAPI, health, console); the AWS JSON
 * endpoint reports its own. The operation is the matched route's pattern, never the raw path, so the metrics'
 * labels stay bounded; the key id is the route's `:keyId` when it has one.
 */
export function observeRequests(observer: RequestObserver) {
  return (request: Request & { caller?: Caller; requestId?: string }, response: Response, next: NextFunction): void => {
    const started = performance.now();
    response.once('finish', () => {
      const route = (request.route as { path?: string } | undefined)?.path;
      const path = request.path;
      observer.answered(
        {
          protocol: path.startsWith('/v1/') ? 'rest' : 'http',
          operation: `${request.method} ${route ?? (QUIET_PATHS.has(path) ? path : 'unmatched')}`,
          status: response.statusCode,
          durationMs: performance.now() - started,
          requestId: request.requestId,
          keyId: typeof request.params?.keyId === 'string' ? request.params.keyId.slice(0, 256) : undefined,
          errorType: response.locals.errorType as string | undefined,
          principal: request.caller?.credential.principal,
          accountId: request.caller?.credential.accountId,
        },
        { quiet: QUIET_PATHS.has(path) },
      );
    });
    next();
  };
}
