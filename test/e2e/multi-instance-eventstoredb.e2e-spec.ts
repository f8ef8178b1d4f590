import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreDbDouble, startEventStoreDbDouble } from '../../libs/event-store/src/testing/eventstoredb-double';
import { readEventStoreDbLog } from '../support/eventstoredb-log';
import { describeTwoInstanceScenarios } from '../support/multi-instance-scenarios';
import { ServiceProcess, startServiceProcess } from '../support/service-process';

/**
 * Two Keyledger processes, each with its own data directory (read models, audit signing key), on one
 * EventStoreDB: the protocol DOUBLE, which runs in this test process and is reached over gRPC by the real client
 * inside both services. They share the log and the vault, and the master key.
 */
let double: EventStoreDbDouble;
let instances: ServiceProcess[] = [];
const dirs = [mkdtempSync(join(tmpdir(), 'keyledger-esdb-a-')), mkdtempSync(join(tmpdir(), 'keyledger-esdb-b-'))];

describeTwoInstanceScenarios(
  'two instances on one EventStoreDB (protocol double)',
  async () => {
    double = await startEventStoreDbDouble();
    const masterKey = randomBytes(32).toString('base64');
    instances = await Promise.all(
      dirs.map((dir) =>
        startServiceProcess({
          DATA_DIR: dir,
          KEYLEDGER_EVENTSTORE_URL: double.connectionString,
          KEYLEDGER_MASTER_KEY: masterKey,
          KEYLEDGER_EXPIRY_INTERVAL_MS: '100',
          LOG_FORMAT: 'json',
          // A long trust time, so what makes a use see the other instance's writes is the subscription, not the timeout.
          KEYLEDGER_KEY_STATE_TRUST_MS: '60000',
        }),
      ),
    );
    return { urls: [instances[0].url, instances[1].url], readLog: () => readEventStoreDbLog(double.connectionString) };
  },
  async () => {
    await Promise.all(instances.map((i) => i.stopCleanly()));
    await double?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  },
);
