import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAliasRaceScenarios, embeddedConflictProbe } from '../support/alias-race';
import { readEventLog } from '../support/event-log';
import { ServiceProcess, startServiceProcess } from '../support/service-process';

/**
 * Alias name uniqueness with two service processes on one data directory: the SQLite log (WAL) is shared, each
 * process has its own read models, so ListAliases on each answers from its own projection of the alias streams.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'keyledger-alias-race-'));
const probeDir = mkdtempSync(join(tmpdir(), 'keyledger-alias-probe-'));
/** Tells the test when a loser's append was refused by SQLite's revision check inside a service process. */
const probe = embeddedConflictProbe(probeDir);
let instances: ServiceProcess[] = [];

describeAliasRaceScenarios(
  'alias races: two instances on one embedded store',
  async () => {
    const common = { DATA_DIR: dataDir, LOG_FORMAT: 'json', ...probe.env };
    instances = await Promise.all(
      ['a', 'b'].map((name) => startServiceProcess({ ...common, KEYLEDGER_READ_MODELS_FILE: join(dataDir, `read-models-${name}.sqlite`) })),
    );
    return {
      urls: [instances[0].url, instances[1].url],
      readLog: async () => readEventLog(dataDir),
      aliasAppendConflicts: () => probe.count(instances.map((i) => i.output())),
    };
  },
  async () => {
    await Promise.all(instances.map((i) => i.stopCleanly()));
    for (const dir of [dataDir, probeDir]) rmSync(dir, { recursive: true, force: true });
  },
);
