import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { MasterKeyMismatchError } from '@keyledger/application';
import { ConfigError, loadConfig } from './config/config';
import { createKeyledgerApp, createLogger } from './create-app';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createKeyledgerApp(config);
  await app.listen(config.port, config.host);
  const logger = new Logger('Keyledger');
  logger.log({ msg: 'Keyledger is serving', url: await app.getUrl(), dataDir: config.dataDir });

  // Graceful shutdown: stop accepting requests, let the expiry job and projections finish, close the stores.
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log({ msg: 'shutting down', signal });
    app.close().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error({ msg: 'shutdown failed', error: error.message });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: Error) => {
  const logger = createLogger({ logFormat: process.env.LOG_FORMAT === 'text' ? 'text' : 'json' });
  const expected = error instanceof ConfigError || error instanceof MasterKeyMismatchError;
  logger.fatal?.({ msg: 'Keyledger could not start', error: expected ? error.message : (error.stack ?? error.message) });
  process.exit(1);
});
