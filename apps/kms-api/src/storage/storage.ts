import { join } from 'node:path';
import { CachingMaterialVault, EventStoreDbMaterialVault, SqliteMaterialVault } from '@keyledger/application';
import { ChainingEventStore } from '@keyledger/audit';
import { MasterKey, MasterKeyRing, MaterialSealer } from '@keyledger/crypto';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { EventStore, EventStoreDbEventStore, keyledgerStreamPrefixes, openSharedEventStoreDbClient, SqliteEventStore, eventLogFile } from '@keyledger/event-store';
import { KeyledgerConfig } from '../config/config';

export const STORAGE = Symbol('Storage');

/** Where the event log and the material vault live: both embedded, or both on EventStoreDB. */
export interface Storage {
  kind: 'embedded' | 'eventstoredb';
  eventStore: EventStore;
  /** Always behind the material cache; its close() zeroes the cache and closes the vault. */
  vault: CachingMaterialVault;
  /**
   * On EventStoreDB: the one client the log, the vault and the checkpoint publisher share (see
   * openSharedEventStoreDbClient); closeStorage disposes it after closing them.
   */
  eventStoreDbClient?: EventStoreDBClient;
}

/**
 * Opens the configured storage. With KEYLEDGER_EVENTSTORE_URL the log and the vault are on EventStoreDB, so
 * several instances (each with its own read models) share keys and material; otherwise both are SQLite files in
 * DATA_DIR. Either way recently used material is kept unsealed in a bounded cache (CachingMaterialVault), and every append is hash-chained to its stream's previous event (the audit trail's tamper
 * evidence).
 */
/** `masterKeys`: the current key seals, previous keys (during a master key rotation) only open. */
export async function openStorage(config: KeyledgerConfig, masterKeys: MasterKey | MasterKeyRing): Promise<Storage> {
  const sealer = new MaterialSealer(masterKeys);
  if (config.eventStoreUrl) {
    const prefixes = keyledgerStreamPrefixes(config.eventStoreDeployment);
    const connectionString = config.eventStoreUrl;
    const client = openSharedEventStoreDbClient(connectionString);
    let vault: EventStoreDbMaterialVault;
    try {
      vault = await EventStoreDbMaterialVault.open({ connectionString, client, sealer, streamPrefix: prefixes.vault });
    } catch (error) {
      await client.dispose();
      throw error;
    }
    const eventStore = new EventStoreDbEventStore({ connectionString, client, streamPrefix: prefixes.log });
    return {
      kind: 'eventstoredb',
      eventStore: new ChainingEventStore(eventStore),
      vault: new CachingMaterialVault(vault, config.materialCacheSize),
      eventStoreDbClient: client,
    };
  }
  return {
    kind: 'embedded',
    eventStore: new ChainingEventStore(new SqliteEventStore({ filename: eventLogFile(config.dataDir), busyTimeoutMs: config.storeTimeoutMs })),
    vault: new CachingMaterialVault(new SqliteMaterialVault(join(config.dataDir, 'vault.sqlite'), sealer), config.materialCacheSize),
  };
}

/** Call once nothing appends any more (the jobs stopped, the last digest signed): the shared client goes last. */
export async function closeStorage(storage: Storage): Promise<void> {
  await storage.eventStore.close();
  await storage.vault.close();
  await storage.eventStoreDbClient?.dispose();
}
