import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import pino from 'pino';
import { MasterKeyMismatchError } from '@keyledger/application';
import { ConfigError, KeyledgerConfig, loadConfig } from './config/config';
import { createKeyledgerApp } from './create-app';
import { stopGracefullyOnSignals } from './graceful-shutdown';
import { createRootLogger } from './observability/logging';
import { SeedAtStart } from './seed-at-start';
import { replayReadModelsBeforeStart } from './startup-replay';
import { Storage, STORAGE } from './storage/storage';

async function main(): Promise<void> {
  // Everything the service creates (databases, their -wal/-shm, development keys, the data directory itself) is
  // readable by its own user only: files 0600, directories 0700.
  process.umask(0o077);
  const config = loadConfig();
  const log = createRootLogger(config);
  await replayReadModelsBeforeStart(config, log);
  const app = await createKeyledgerApp(config, { log });
  // The start-up lines are out before anyone can reach the service, and the banner as soon as it is logged.
  log.flush();
  await app.listen(config.port, config.host);
  const logger = new Logger('Keyledger');
  const seed = app.get(SeedAtStart).status;
  logger.log({
    msg: 'Keyledger is serving',
    url: await app.getUrl(),
    ...storeOf(config, app.get<Storage>(STORAGE)),
    mode: config.mode,
    dataDir: config.dataDir,
    ...(seed.status !== 'off' && { seed }),
  });
  log.flush();

  stopGracefullyOnSignals(app, logger);
}

/** Which store, and where; an EventStoreDB URL is shown without credentials. */
function storeOf(config: KeyledgerConfig, storage: Storage): { store: string; eventStore?: string } {
  if (storage.kind !== 'eventstoredb' || !config.eventStoreUrl) return { store: storage.kind };
  return { store: storage.kind, eventStore: config.eventStoreUrl.replace(/\/\/[^@/]*@/, '//') };
}

main().catch((error: Error) => {
  // Written synchronously: the process exits right after.
  const logger = createRootLogger({ logLevel: 'info', logFormat: process.env.LOG_FORMAT === 'text' ? 'text' : 'json' }, pino.destination({ dest: 1, sync: true }));
  const expected = error instanceof ConfigError || error instanceof MasterKeyMismatchError;
  logger.fatal({ error: expected ? error.message : (error.stack ?? error.message) }, 'Keyledger could not start');
  process.exit(1);
});
