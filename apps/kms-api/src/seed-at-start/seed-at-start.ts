import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EVENT_STORE, PROJECTION_PROGRESS } from '@keyledger/application';
import type { EventStore } from '@keyledger/event-store';
import type { ProjectionRunner } from '@keyledger/projections';
import { loadSeedFile, type LoadedSeedFile } from '../../../kms-cli/src/seed/seed-file';
import { seedKeys, type SeededKey } from '../../../kms-cli/src/seed/seed-keys';
import { CREDENTIAL_STORE, type Credential, type CredentialStore } from '../auth';
import { ConfigError } from '../config/config';

export const SEED_AT_START_OPTIONS = Symbol('SeedAtStartOptions');

export interface SeedAtStartOptions {
  /** KEYLEDGER_SEED_FILE: the CLI's seed format (docs/cli.md); unset: nothing is seeded. */
  file?: string;
  /** Region of the seeded keys when the file names none. */
  defaultRegion: string;
}

/** A seed that cannot be applied stops the start like a configuration error: one clear line, no stack. */
export class SeedAtStartError extends ConfigError {}

export type SeedStatus =
  | { status: 'off' }
  | { status: 'seeding'; file: string }
  | { status: 'done'; file: string; keys: number; created: number; imported: number; updated: number; unchanged: number };

/** How long the read models may take to catch up with the log before seeding reads them (ListKeys). */
const READ_MODELS_WAIT_MS = 60_000;

/**
 * Applies KEYLEDGER_SEED_FILE when the service starts, through the real flow: the CLI's seed library
 * (CreateKey, GetParametersForImport, client-side wrapping, ImportKeyMaterial, aliases, tags) over the AWS SDK,
 * SigV4-signed, against this application's own request handler on a loopback port of its own. Keys are matched by
 * description, so a second start with the same file creates nothing (what `keyledger seed` does when rerun).
 *
 * It runs after every provider has started (KeyledgerModule's own bootstrap hook: the vault reconciliation is
 * over, the jobs run) and before the service listens: nobody is served by a half-seeded service, /health
 * answers only once the keys are there, and a seed that fails stops the start with its reason.
 *
 * Who seeds: the principal the seed file names by its `accessKeyId` (default `test`), looked up among the
 * service's own principals, so every event names it and its account owns the keys. In development mode that is
 * `test` (account KEYLEDGER_ACCOUNT_ID) or any entry of the credentials file; in production mode, where `test`
 * is off, it must be an entry of KEYLEDGER_CREDENTIALS_FILE, whose secret signs the requests: the seed acts as
 * that principal would, with no path around authentication.
 */
@Injectable()
export class SeedAtStart {
  private readonly logger = new Logger('SeedAtStart');
  private current: SeedStatus = { status: 'off' };

  constructor(
    @Inject(SEED_AT_START_OPTIONS) private readonly options: SeedAtStartOptions,
    @Inject(CREDENTIAL_STORE) private readonly credentials: CredentialStore,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION_PROGRESS) private readonly projections: ProjectionRunner,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  get status(): SeedStatus {
    return this.current;
  }

  async run(): Promise<void> {
    const { file } = this.options;
    if (!file) return;
    this.current = { status: 'seeding', file };
    const seed = this.load(file);
    const credential = this.principal(seed, file);
    // ListKeys and DescribeKey read the read models: they must hold every key already in the log, or a key
    // seeded by an earlier start would not be found and would be created again.
    if (!(await this.projections.waitForPosition(await this.store.headPosition(), READ_MODELS_WAIT_MS))) {
      throw new SeedAtStartError(`KEYLEDGER_SEED_FILE ${file}: the read models did not catch up with the log within ${READ_MODELS_WAIT_MS / 1000} s; not seeding.`);
    }
    const server = await this.loopback();
    const { port } = server.address() as AddressInfo;
    try {
      const keys = await seedKeys(
        seed,
        {
          endpoint: `http://127.0.0.1:${port}`,
          region: seed.region ?? this.options.defaultRegion,
          accessKeyId: credential.accessKeyId,
          secretAccessKey: credential.secretAccessKey,
          sessionToken: credential.sessionToken,
        },
        (key) => this.logger.debug({ msg: `seed key ${key.action}`, keyId: key.keyId, description: key.description, keySpec: key.keySpec, ...(key.changes.length > 0 && { changes: key.changes }) }),
      );
      this.current = { status: 'done', file, keys: keys.length, ...countActions(keys) };
      // Debug: at info the start-up says one thing, where it serves; the banner carries the seed's summary.
      this.logger.debug({ msg: 'seed file applied', file, principal: credential.principal, accountId: credential.accountId, ...countActions(keys) });
    } catch (error) {
      throw new SeedAtStartError(`KEYLEDGER_SEED_FILE ${file} could not be applied: ${(error as Error).message}`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private load(file: string): LoadedSeedFile {
    try {
      return loadSeedFile(file);
    } catch (error) {
      throw new SeedAtStartError(`KEYLEDGER_SEED_FILE: ${(error as Error).message}`);
    }
  }

  private principal(seed: LoadedSeedFile, file: string): Credential {
    const accessKeyId = seed.accessKeyId ?? 'test';
    const credential = this.credentials.byAccessKeyId(accessKeyId);
    if (!credential) {
      throw new SeedAtStartError(
        `KEYLEDGER_SEED_FILE ${file}: the seed file's accessKeyId '${accessKeyId}' is not a principal of this service; ` +
          'name an access key of KEYLEDGER_CREDENTIALS_FILE (the default test credentials are off in production mode).',
      );
    }
    return credential;
  }

  /** This application's own request handler (AWS JSON endpoint and REST alike) on a loopback port, for the seed only. */
  private loopback(): Promise<Server> {
    const main = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const handlers = main.listeners('request') as Array<(request: IncomingMessage, response: ServerResponse) => void>;
    const server = createServer((request, response) => handlers.forEach((handle) => handle(request, response)));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
  }
}

function countActions(keys: SeededKey[]) {
  const count = (action: SeededKey['action']) => keys.filter((key) => key.action === action).length;
  return { created: count('created'), imported: count('imported'), updated: count('updated'), unchanged: count('unchanged') };
}
