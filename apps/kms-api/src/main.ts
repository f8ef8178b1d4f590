import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { MasterKeyMismatchError } from '@keyledger/application';
import { ConfigError, loadConfig } from './config/config';
import { createKeyledgerApp, createLogger } from './create-app';
import { stopGracefullyOnSignals } from './graceful-shutdown';

async function main(): Promise<void> {
  // Everything the service creates (databases, their -wal/-shm, development keys, the data directory itself) is
  // readable by its own user only: files 0600, directories 0700.
  process.umask(0o077);
  const config = loadConfig();
  const app = await createKeyledgerApp(config);
  await app.listen(config.port, config.host);
  const logger = new Logger('Keyledger');
  logger.log({ msg: 'Keyledger is serving', url: await app.getUrl(), dataDir: config.dataDir });

  stopGracefullyOnSignals(app, logger);
}

main().catch((error: Error) => {
  const logger = createLogger({ logFormat: process.env.LOG_FORMAT === 'text' ? 'text' : 'json' });
  const expected = error instanceof ConfigError || error instanceof MasterKeyMismatchError;
  logger.fatal?.({ msg: 'Keyledger could not start', error: expected ? error.message : (error.stack ?? error.message) });
  process.exit(1);
});
