import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from './config/config';
import { createKeyledgerApp, createLogger } from './create-app';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createKeyledgerApp(config);
  await app.listen(config.port, config.host);
  new Logger('Keyledger').log({ msg: 'Keyledger is serving', url: await app.getUrl(), dataDir: config.dataDir });
}

main().catch((error: Error) => {
  const logger = createLogger({ logFormat: process.env.LOG_FORMAT === 'text' ? 'text' : 'json' });
  logger.fatal?.({ msg: 'Keyledger could not start', error: error instanceof ConfigError ? error.message : error.stack ?? error.message });
  process.exit(1);
});
