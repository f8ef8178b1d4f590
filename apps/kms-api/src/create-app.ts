import type { Server } from 'node:http';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import type pino from 'pino';
import { KeyledgerModule, KeyledgerOverrides } from './app.module';
import { AwsErrorFilter } from './aws-json/aws-error.filter';
import { AwsJsonEndpoint, serveAwsJsonBeforeNest } from './aws-json/aws-json-endpoint';
import { KeyledgerConfig } from './config/config';
import { applyServerLimits } from './http-limits/server-limits';
import { createNestLogger, createRootLogger } from './observability/logging';
import { KeyledgerMetrics } from './observability/metrics';
import { observeRequests } from './observability/observe-requests.middleware';
import { RequestObserver } from './observability/request-observer';
import { FilterByPath, REST_PREFIX, RestProblemFilter, restJsonBody, setUpOpenApi } from './rest';

export interface KeyledgerAppOptions {
  overrides?: KeyledgerOverrides;
  /** The root logger (default: pino on stdout at LOG_LEVEL); `logger: false` silences everything (tests). */
  log?: pino.Logger;
  logger?: false;
}

/**
 * Builds the HTTP application (used by main.ts and by the end-to-end tests). The AWS JSON endpoint reads its
 * own body, so Nest's body parser is off: oversized and malformed bodies get AWS-style errors.
 */
export async function createKeyledgerApp(config: KeyledgerConfig, options: KeyledgerAppOptions = {}): Promise<INestApplication> {
  const log = options.log ?? createRootLogger(options.logger === false ? { ...config, logLevel: 'silent' } : config);
  const app = await NestFactory.create<NestExpressApplication>(KeyledgerModule.forRoot(config, options.overrides), {
    bodyParser: false,
    logger: options.logger === false ? false : createNestLogger(log),
  });
  // One access-log line and the request metrics for every request, whichever path answers it.
  const observer = new RequestObserver(log, app.get(KeyledgerMetrics));
  app.use(observeRequests(observer));
  // Errors raised before a controller is chosen answer in the protocol of their path: REST problems under /v1.
  app.useGlobalFilters(new FilterByPath(REST_PREFIX, new RestProblemFilter(), new AwsErrorFilter()));
  // The REST routes get a JSON body parser; POST / still reads its raw body itself.
  app.use(REST_PREFIX, restJsonBody());
  setUpOpenApi(app);
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  // ETags are key revisions, set by the REST routes; express must not invent weak ETags (a SHA-1 of every body).
  app.getHttpAdapter().getInstance().set('etag', false);
  // POST / is answered by a plain node:http handler ahead of express; REST, OpenAPI and health stay on Nest.
  serveAwsJsonBeforeNest(app.getHttpServer() as Server, app.get(AwsJsonEndpoint), observer);
  // Keep-alive longer than SDK clients; header and request timeouts against slow clients; a connection cap.
  applyServerLimits(app.getHttpServer() as Server, config);
  return app;
}
