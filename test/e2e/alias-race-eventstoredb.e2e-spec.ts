import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreDbDouble, startEventStoreDbDouble } from '../../libs/event-store/src/testing/eventstoredb-double';
import { TransactionLog } from '../../libs/event-store/src/testing/eventstoredb-double/transaction-log';
import { describeAliasRaceScenarios } from '../support/alias-race';
import { readEventStoreDbLog } from '../support/eventstoredb-log';
import { ServiceProcess, startServiceProcess } from '../support/service-process';

/**
 * Alias name uniqueness with two Keyledger processes on one EventStoreDB (the protocol double, in this test
 * process, reached over gRPC by the real client in both services): the append's expected revision is what makes
 * the second CreateAlias of a name fail and be re-decided.
 */
let double: EventStoreDbDouble;
let instances: ServiceProcess[] = [];
/** Appends to alias streams the double refused for a wrong expected revision: the races that really collided. */
let aliasAppendConflicts = 0;
const append = TransactionLog.prototype.append;
jest.spyOn(TransactionLog.prototype, 'append').mockImplementation(function (this: TransactionLog, ...args: Parameters<TransactionLog['append']>) {
  const outcome = append.apply(this, args);
  if (outcome.kind === 'wrong_expected_version' && args[0].includes('kms-alias-')) aliasAppendConflicts += 1;
  return outcome;
});
const dirs = [mkdtempSync(join(tmpdir(), 'keyledger-alias-esdb-a-')), mkdtempSync(join(tmpdir(), 'keyledger-alias-esdb-b-'))];

describeAliasRaceScenarios(
  'alias races: two instances on one EventStoreDB (protocol double)',
  async () => {
    double = await startEventStoreDbDouble();
    const masterKey = randomBytes(32).toString('base64');
    instances = await Promise.all(
      dirs.map((dir) =>
        startServiceProcess({ DATA_DIR: dir, KEYLEDGER_EVENTSTORE_URL: double.connectionString, KEYLEDGER_MASTER_KEY: masterKey, LOG_FORMAT: 'json' }),
      ),
    );
    return { urls: [instances[0].url, instances[1].url], readLog: () => readEventStoreDbLog(double.connectionString), aliasAppendConflicts: () => aliasAppendConflicts };
  },
  async () => {
    await Promise.all(instances.map((i) => i.stopCleanly()));
    await double?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  },
);
