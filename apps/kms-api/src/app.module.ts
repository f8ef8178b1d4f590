import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { mkdirSync } from 'node:fs';
import { BeforeApplicationShutdown, DynamicModule, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type Database from 'better-sqlite3';
import {
  APPLICATION_PROVIDERS,
  AUDIT_DIGEST_OPTIONS,
  AuditDigestOptions,
  AUDIT_LOG,
  AuditDigestJob,
  BatchingUsageRecorder,
  CLOCK,
  Clock,
  COMMAND_HANDLERS,
  DisabledUsageRecorder,
  EVENT_STORE,
  KEY_STATE_CACHE,
  KeyStateCache,
  MAINTENANCE_JOB_OPTIONS,
  MaintenanceJobOptions,
  MaintenanceJob,
  ID_GENERATOR,
  IdGenerator,
  IMPORT_TOKEN_SEALER,
  KEY_READ_MODEL,
  ALIAS_READ_MODEL,
  KeyCommandExecutor,
  loadAuditSigningKeyForService,
  MATERIAL_VAULT,
  PROJECTION_PROGRESS,
  QUERY_HANDLERS,
  RefusalAuditHook,
  RefusalRecorder,
  USAGE_LOG,
  USAGE_RECORDER,
  USAGE_RECORDER_OPTIONS,
  UsageRecorderOptions,
  VaultReconciler,
  WRAPPING_KEY_SOURCE,
  WrappingKeyPool,
} from '@keyledger/application';
import { AuditSigningKey, AuditSigningKeyError } from '@keyledger/audit';
import { ImportTokenSealer, LowPriorityKeyGenerator, type MasterKeyRing } from '@keyledger/crypto';
import { EventStore, EventStoreDbCheckpointStore, keyledgerStreamPrefixes } from '@keyledger/event-store';
import { KeyStateCacheRefresh, MaterialCacheEviction, openReadModelDatabase, ProjectionRunner, readModelProjections, SqliteAliasReadModel, SqliteAuditLog, SqliteKeyReadModel, SqliteUsageLog } from '@keyledger/projections';
import { AwsJsonEndpoint } from './aws-json/aws-json-endpoint';
import { KeyledgerMetrics } from './observability/metrics';
import { METRICS_TOKEN, MetricsController } from './observability/metrics.controller';
import { AUTH_CONFIG, AUTHENTICATION_PROVIDERS } from './auth';
import { ConfigError, KeyledgerConfig } from './config/config';
import { ConsoleController } from './console/console.controller';
import { loadMasterKeyRing } from './config/master-key.loader';
import { signFinalAuditDigest } from './graceful-shutdown';
import { SEED_AT_START_OPTIONS, SeedAtStart } from './seed-at-start';
import { HealthController } from './health/health.controller';
import { ReadModelsLifecycle } from './read-models.service';
import { REST_CONTROLLERS, REST_PROVIDERS } from './rest';
import { RootController } from './root/root.controller';
import { ADMIN_CONTROLLERS, SERVICE_MODE, ServiceClock } from './rest/admin';
import { CHECKPOINT_PUBLISHER_OPTIONS, CheckpointPublisher } from './storage/checkpoint-publisher';
import { closeStorage, openStorage, Storage, STORAGE } from './storage/storage';

const CONFIG = Symbol('KeyledgerConfig');
const MASTER_KEY = Symbol('MasterKeyRing');
const READ_MODEL_DB = Symbol('ReadModelDatabase');

/** The audit digest signing key; an unusable configured key stops the service like any configuration error. */
function auditSigningKey(config: KeyledgerConfig): AuditSigningKey {
  try {
    return loadAuditSigningKeyForService(config.auditSigningKey, config.dataDir);
  } catch (error) {
    throw error instanceof AuditSigningKeyError ? new ConfigError(error.message) : error;
  }
}

/** Test seams: a controllable clock for token and material expiry tests. */
export interface KeyledgerOverrides {
  clock?: Clock;
}

/**
 * Closes the stores after everything that uses them has stopped: jobs, the projection runner and the
 * checkpoint publisher stop in beforeApplicationShutdown, and Nest runs every onApplicationShutdown only after
 * all of those have finished (hooks of one phase run concurrently, so the order comes from the phases).
 */
@Injectable()
class StorageLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(STORAGE) private readonly storage: Storage,
    @Inject(READ_MODEL_DB) private readonly readModels: Database.Database,
    @Inject(WRAPPING_KEY_SOURCE) private readonly pool: WrappingKeyPool,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.pool.close();
    await closeStorage(this.storage);
    this.readModels.close();
  }
}

/**
 * The composition root. Storage (event log and vault) is embedded or on EventStoreDB (storage/storage.ts);
 * everything else lives under DATA_DIR:
 *   events.sqlite       the event log (the source of truth), embedded storage only
 *   vault.sqlite        key material, sealed under the master key, embedded storage only
 *   read-models.sqlite  projections and their checkpoint (rebuildable; KEYLEDGER_READ_MODELS_FILE moves it)
 *   master.key          development master key, only when KEYLEDGER_MASTER_KEY is unset
 *   audit-signing-key.pem  development audit digest signing key, only when KEYLEDGER_AUDIT_SIGNING_KEY is unset
 */
@Module({})
export class KeyledgerModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(AUDIT_DIGEST_OPTIONS) private readonly digests: AuditDigestOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    private readonly seedAtStart: SeedAtStart,
  ) {}

  /** Nest calls a module's own hook after every provider's (vault reconciled, jobs running): then the seed file is applied. */
  async onApplicationBootstrap(): Promise<void> {
    await this.seedAtStart.run();
  }

  /** Nest calls a module's own hook after every provider's (jobs stopped, usage flushed), before any store closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await signFinalAuditDigest({ store: this.store, options: this.digests, clock: this.clock, ids: this.ids }, new Logger('AuditDigest'));
  }

  static forRoot(config: KeyledgerConfig, overrides: KeyledgerOverrides = {}): DynamicModule {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    return {
      module: KeyledgerModule,
      imports: [CqrsModule.forRoot()],
      controllers: [HealthController, MetricsController, RootController, ConsoleController, ...REST_CONTROLLERS, ...ADMIN_CONTROLLERS],
      providers: [
        { provide: CONFIG, useValue: config },
        AwsJsonEndpoint,
        { provide: AUTH_CONFIG, useValue: { credentialsFile: config.credentialsFile, defaultCredentials: config.defaultCredentials, defaultAccountId: config.defaultAccountId, defaultRegion: config.defaultRegion, signingThread: config.signingThread } },
        { provide: MASTER_KEY, useFactory: (c: KeyledgerConfig) => loadMasterKeyRing(c.masterKey, c.previousMasterKeys ?? [], c.dataDir), inject: [CONFIG] },
        // The service clock: the wall clock, moved forward only by the test clock (development mode, rest/admin).
        { provide: CLOCK, useValue: overrides.clock ?? new ServiceClock() },
        { provide: SERVICE_MODE, useValue: config.mode },
        { provide: SEED_AT_START_OPTIONS, useValue: { file: config.seedFile, defaultRegion: config.defaultRegion } },
        SeedAtStart,
        { provide: ID_GENERATOR, useValue: { keyId: () => randomUUID(), uuid: () => randomUUID() } },
        { provide: STORAGE, useFactory: (c: KeyledgerConfig, keys: MasterKeyRing) => openStorage(c, keys), inject: [CONFIG, MASTER_KEY] },
        { provide: EVENT_STORE, useFactory: (storage: Storage) => storage.eventStore, inject: [STORAGE] },
        { provide: MATERIAL_VAULT, useFactory: (storage: Storage) => storage.vault, inject: [STORAGE] },
        { provide: IMPORT_TOKEN_SEALER, useFactory: (keys: MasterKeyRing) => new ImportTokenSealer(keys), inject: [MASTER_KEY] },
        { provide: READ_MODEL_DB, useFactory: () => openReadModelDatabase(config.readModelsFile) },
        {
          provide: PROJECTION_PROGRESS,
          // Beside the read models: cached plaintext material is dropped as soon as the log says it was removed, and
          // cached key states stop being trusted for uses once another instance writes past them.
          useFactory: (store: EventStore, db: Database.Database, storage: Storage, keyStates: KeyStateCache) =>
            new ProjectionRunner(store, db, [...readModelProjections(db), new MaterialCacheEviction(storage.vault), new KeyStateCacheRefresh(keyStates)]),
          inject: [EVENT_STORE, READ_MODEL_DB, STORAGE, KEY_STATE_CACHE],
        },
        { provide: KEY_READ_MODEL, useFactory: (db: Database.Database) => new SqliteKeyReadModel(db), inject: [READ_MODEL_DB] },
        { provide: ALIAS_READ_MODEL, useFactory: (db: Database.Database) => new SqliteAliasReadModel(db), inject: [READ_MODEL_DB] },
        { provide: AUDIT_LOG, useFactory: (db: Database.Database, store: EventStore) => new SqliteAuditLog(db, store), inject: [READ_MODEL_DB, EVENT_STORE] },
        { provide: USAGE_LOG, useFactory: (db: Database.Database, store: EventStore) => new SqliteUsageLog(db, store), inject: [READ_MODEL_DB, EVENT_STORE] },
        KeyledgerMetrics,
        { provide: KEY_STATE_CACHE, useValue: new KeyStateCache({ maxKeys: config.keyStateCacheSize, trustMs: config.keyStateTrustMs }) },
        { provide: METRICS_TOKEN, useValue: config.metricsToken },
        {
          provide: USAGE_RECORDER_OPTIONS,
          useFactory: (metrics: KeyledgerMetrics): UsageRecorderOptions => ({ flushIntervalMs: config.usageFlushIntervalMs, onBatchWritten: (records) => metrics.usageBatchWritten(records) }),
          inject: [KeyledgerMetrics],
        },
        // Key usage (KEYLEDGER_USAGE_LOG): batched into this process's own usage stream, or dropped when off.
        ...(config.usageLog ? [BatchingUsageRecorder, { provide: USAGE_RECORDER, useExisting: BatchingUsageRecorder }] : [{ provide: USAGE_RECORDER, useClass: DisabledUsageRecorder }]),
        {
          provide: WRAPPING_KEY_SOURCE,
          useFactory: (c: KeyledgerConfig) => {
            // Fills and refills on one low-priority worker thread, so they take only CPU that requests leave idle; a
            // caller who finds the pool empty gets a generation on libuv's thread pool (sized above the core count),
            // at most one per core per spec.
            const pool = new WrappingKeyPool(c.wrappingKeyPoolSize, availableParallelism(), { background: new LowPriorityKeyGenerator() });
            pool.warmUp();
            return pool;
          },
          inject: [CONFIG],
        },
        {
          provide: AUDIT_DIGEST_OPTIONS,
          useFactory: (c: KeyledgerConfig) => ({ signingKey: auditSigningKey(c), intervalMs: c.auditDigestIntervalMs, everyEvents: c.auditDigestEveryEvents }),
          inject: [CONFIG],
        },
        {
          provide: CHECKPOINT_PUBLISHER_OPTIONS,
          useFactory: (c: KeyledgerConfig, storage: Storage) => ({
            intervalMs: 1000,
            store: c.eventStoreUrl
              ? new EventStoreDbCheckpointStore({
                  connectionString: c.eventStoreUrl,
                  client: storage.eventStoreDbClient,
                  instanceId: c.instanceId,
                  streamPrefix: keyledgerStreamPrefixes(c.eventStoreDeployment).checkpoint,
                })
              : undefined,
          }),
          inject: [CONFIG, STORAGE],
        },
        {
          provide: MAINTENANCE_JOB_OPTIONS,
          useFactory: (c: KeyledgerConfig, metrics: KeyledgerMetrics): MaintenanceJobOptions => ({
            intervalMs: c.expiryIntervalMs,
            onSweep: (result, failed) =>
              metrics.maintenanceRan(failed ? 'Failed' : 'Succeeded', { expired: result.expiredMaterials, deleted: result.deletedKeys, rotated: result.rotatedKeys }),
          }),
          inject: [CONFIG, KeyledgerMetrics],
        },
        ...AUTHENTICATION_PROVIDERS,
        KeyCommandExecutor,
        ...APPLICATION_PROVIDERS,
        ...COMMAND_HANDLERS,
        ...QUERY_HANDLERS,
        ReadModelsLifecycle,
        VaultReconciler,
        MaintenanceJob,
        RefusalRecorder,
        RefusalAuditHook,
        AuditDigestJob,
        CheckpointPublisher,
        StorageLifecycle,
        ...REST_PROVIDERS,
      ],
    };
  }
}
