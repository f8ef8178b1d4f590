import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { KMSClient } from '@aws-sdk/client-kms';
import { loadConfig, KeyledgerConfig } from '../../apps/kms-api/src/config/config';
import { createKeyledgerApp } from '../../apps/kms-api/src/create-app';
import { testCredentialsFile } from './test-credentials';

/** app.close() normally takes well under a second; past this, what keeps it open is printed. */
const SLOW_CLOSE_MS = 15_000;

/**
 * Diagnostics for a close that hangs (seen once: authentication.e2e's afterAll hit jest's 60-s limit in a full run,
 * never reproduced): the HTTP server's open connections and the process's active resources, on stderr.
 */
function reportSlowClose(app: INestApplication): void {
  const server = app.getHttpServer() as Server;
  server.getConnections((_error, connections) => {
    process.stderr.write(
      `keyledger-harness: app.close() still running after ${SLOW_CLOSE_MS} ms; open HTTP connections: ${connections}; active resources: ${process.getActiveResourcesInfo().join(', ')}\n`,
    );
  });
}

/** A clock the test can move; starts at real time and follows it unless moved. */
export class TestClock {
  private offsetMs = 0;
  now = (): number => Date.now() + this.offsetMs;
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface RunningKeyledger {
  app: INestApplication;
  url: string;
  dataDir: string;
  clock: TestClock;
  config: KeyledgerConfig;
  client(options?: { accessKeyId?: string; region?: string }): KMSClient;
  /** Stops the app, keeping the data directory. */
  stop(): Promise<void>;
  /** Stops the app and removes the data directory. */
  destroy(): Promise<void>;
}

/**
 * Starts the real Keyledger application (the same module main.ts starts) on a random loopback port, over a
 * temporary data directory, and hands out real AWS SDK clients pointed at it.
 */
export async function startKeyledger(
  options: { dataDir?: string; env?: NodeJS.ProcessEnv; clock?: TestClock } = {},
): Promise<RunningKeyledger> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'keyledger-e2e-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    KEYLEDGER_WRAPPING_KEY_POOL_SIZE: '0',
    KEYLEDGER_EXPIRY_INTERVAL_MS: '100',
    // The test principals (test-credentials.ts): requests are really signed and verified, as in production.
    KEYLEDGER_CREDENTIALS_FILE: testCredentialsFile(),
    ...options.env,
  });
  const clock = options.clock ?? new TestClock();
  const app = await createKeyledgerApp(config, { overrides: { clock }, logger: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const slow = setTimeout(() => reportSlowClose(app), SLOW_CLOSE_MS).unref();
    try {
      await app.close();
    } finally {
      clearTimeout(slow);
    }
  };
  return {
    app,
    url,
    dataDir,
    clock,
    config,
    client: ({ accessKeyId = 'test', region = 'us-east-1' } = {}) =>
      new KMSClient({ endpoint: url, region, credentials: { accessKeyId, secretAccessKey: 'test' }, maxAttempts: 1 }),
    stop,
    destroy: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
