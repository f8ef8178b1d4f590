import type { Server } from 'node:http';
import { ConsoleLogger, INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { KeyledgerModule, KeyledgerOverrides } from './app.module';
import { AwsErrorFilter } from './aws-json/aws-error.filter';
import { KeyledgerConfig } from './config/config';
import { FilterByPath, REST_PREFIX, RestProblemFilter, restJsonBody, setUpOpenApi } from './rest';

export function createLogger(config: Pick<KeyledgerConfig, 'logFormat'>): LoggerService {
  return new ConsoleLogger('Keyledger', { json: config.logFormat === 'json', logLevels: ['log', 'error', 'warn', 'fatal'] });
}

/**
 * Builds the HTTP application (used by main.ts and by the end-to-end tests). The AWS JSON endpoint reads its
 * own body, so Nest's body parser is off: oversized and malformed bodies get AWS-style errors.
 */
export async function createKeyledgerApp(
  config: KeyledgerConfig,
  options: { overrides?: KeyledgerOverrides; logger?: LoggerService | false } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(KeyledgerModule.forRoot(config, options.overrides), {
    bodyParser: false,
    logger: options.logger ?? createLogger(config),
  });
  // Errors raised before a controller is chosen answer in the protocol of their path: REST problems under /v1.
  app.useGlobalFilters(new FilterByPath(REST_PREFIX, new RestProblemFilter(), new AwsErrorFilter()));
  // The REST routes get a JSON body parser; POST / still reads its raw body itself.
  app.use(REST_PREFIX, restJsonBody());
  setUpOpenApi(app);
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  // ETags are key revisions, set by the REST routes; express must not invent weak ETags (a SHA-1 of every body).
  app.getHttpAdapter().getInstance().set('etag', false);
  keepConnectionsLongerThanClients(app.getHttpServer());
  return app;
}

/**
 * AWS SDKs keep connections alive and reuse them after idling. With Node's default 5 s keep-alive timeout the
 * server may close a socket just as a client reuses it, and the client sees ECONNRESET; idle connections are
 * kept for longer than clients typically keep them (as load balancers do).
 */
function keepConnectionsLongerThanClients(server: Server): void {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
}
