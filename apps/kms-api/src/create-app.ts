import { ConsoleLogger, INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { KeyledgerModule, KeyledgerOverrides } from './app.module';
import { AwsErrorFilter } from './aws-json/aws-error.filter';
import { KeyledgerConfig } from './config/config';

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
  app.useGlobalFilters(new AwsErrorFilter());
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  return app;
}
