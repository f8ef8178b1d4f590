import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEventLog } from '../support/event-log';
import { describeTwoInstanceScenarios } from '../support/multi-instance-scenarios';
import { ServiceProcess, startServiceProcess } from '../support/service-process';

/** Two processes on one data directory: the SQLite log (WAL) and vault are shared, read models are not. */
const dataDir = mkdtempSync(join(tmpdir(), 'keyledger-two-'));
let instances: ServiceProcess[] = [];

describeTwoInstanceScenarios(
  'two instances on one embedded store',
  async () => {
    // A long trust time, so what makes a use see the other instance's writes is the subscription, not the timeout.
    const common = { DATA_DIR: dataDir, KEYLEDGER_EXPIRY_INTERVAL_MS: '100', LOG_FORMAT: 'json', KEYLEDGER_KEY_STATE_TRUST_MS: '60000' };
    instances = await Promise.all(
      ['a', 'b'].map((name) => startServiceProcess({ ...common, KEYLEDGER_READ_MODELS_FILE: join(dataDir, `read-models-${name}.sqlite`) })),
    );
    return { urls: [instances[0].url, instances[1].url], readLog: async () => readEventLog(dataDir) };
  },
  async () => {
    await Promise.all(instances.map((i) => i.stopCleanly()));
    rmSync(dataDir, { recursive: true, force: true });
  },
);
