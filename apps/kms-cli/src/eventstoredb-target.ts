import { EventStoreDbMaterialVault, MasterKeyMismatchError } from '@keyledger/application';
import { ChainingEventStore } from '@keyledger/audit';
import { MaterialSealer, type MasterKeyRing } from '@keyledger/crypto';
import { EventStoreDbEventStore, keyledgerStreamPrefixes, type EventStore } from '@keyledger/event-store';
import { ConfigError, loadConfig } from '../../kms-api/src/config/config';
import { CliError } from './cli-error';

/** The EventStoreDB a deployment of the service uses: its connection string and stream prefixes. */
export interface EventStoreDbTarget {
  /** With the store timeout as `defaultDeadline`, exactly as the service connects. */
  connectionString: string;
  prefixes: { log: string; vault: string };
}

/**
 * The service's EventStoreDB settings (KEYLEDGER_EVENTSTORE_URL, KEYLEDGER_EVENTSTORE_DEPLOYMENT,
 * KEYLEDGER_STORE_TIMEOUT_MS), read by the service's own config rules so both address the same streams; undefined
 * when the deployment uses the embedded store.
 */
export function eventStoreDbTargetFromEnvironment(env: NodeJS.ProcessEnv): EventStoreDbTarget | undefined {
  if (!env.KEYLEDGER_EVENTSTORE_URL) return undefined;
  const { KEYLEDGER_EVENTSTORE_URL, KEYLEDGER_EVENTSTORE_DEPLOYMENT, KEYLEDGER_STORE_TIMEOUT_MS } = env;
  try {
    const config = loadConfig({ KEYLEDGER_EVENTSTORE_URL, KEYLEDGER_EVENTSTORE_DEPLOYMENT, KEYLEDGER_STORE_TIMEOUT_MS });
    return { connectionString: config.eventStoreUrl!, prefixes: keyledgerStreamPrefixes(config.eventStoreDeployment) };
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

/** The deployment's material vault, opening material sealed under any key of the ring. */
export async function openEventStoreDbVault(target: EventStoreDbTarget, ring: MasterKeyRing): Promise<EventStoreDbMaterialVault> {
  try {
    return await EventStoreDbMaterialVault.open({ connectionString: target.connectionString, sealer: new MaterialSealer(ring), streamPrefix: target.prefixes.vault });
  } catch (error) {
    if (error instanceof MasterKeyMismatchError) throw new CliError(error.message);
    throw new CliError(`Cannot open the EventStoreDB material vault (streams '${target.prefixes.vault}*'): ${(error as Error).message}`);
  }
}

/** The deployment's event log, hash-chained exactly as the service appends. */
export function openEventStoreDbLog(target: EventStoreDbTarget): EventStore {
  return new ChainingEventStore(new EventStoreDbEventStore({ connectionString: target.connectionString, streamPrefix: target.prefixes.log }));
}
