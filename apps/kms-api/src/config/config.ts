import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_KEY_STATE_CACHE_SIZE, DEFAULT_KEY_STATE_TRUST_MS, DEFAULT_MATERIAL_CACHE_SIZE, DEFAULT_USAGE_FLUSH_INTERVAL_MS } from '@keyledger/application';
import { IMPLEMENTED_WRAPPING_KEY_SPECS, isImplementedWrappingKeySpec, type WrappingKeySpec } from '@keyledger/domain';
import { LOG_LEVELS, type LogLevel } from '../observability/log-levels';

/** Everything the service reads from its environment, parsed and checked once at start-up. */
export interface KeyledgerConfig {
  port: number;
  host: string;
  dataDir: string;
  /**
   * EventStoreDB connection string; when set, the event log and the vault live there instead of DATA_DIR. It
   * carries the store timeout as the client's `defaultDeadline` (see storeTimeoutMs).
   */
  eventStoreUrl?: string;
  /**
   * KEYLEDGER_STORE_TIMEOUT_MS (default 5000): how long one call to the event store may take before the request
   * fails with DependencyTimeoutException (retryable). For EventStoreDB it is set as the connection string's
   * `defaultDeadline` (which every EventStoreDB adapter and client of the service reads) unless the URL names
   * one itself.
   */
  storeTimeoutMs: number;
  /** Names this deployment's streams on a shared EventStoreDB (`<deployment>-log-…`, `<deployment>-vault-…`). */
  eventStoreDeployment: string;
  /** Names this instance's published projection checkpoint on EventStoreDB. */
  instanceId: string;
  /** The read models' database; each instance sharing a data directory needs its own. */
  readModelsFile: string;
  /**
   * KEYLEDGER_STARTUP_REPLAY_MIN_EVENTS (default 50,000; 0: never): when the read-models file is missing and the
   * embedded log holds at least this many events, they are rebuilt with `keyledger replay` before the service
   * serves (startup-replay.ts), instead of being caught up in one lane while it serves.
   */
  startupReplayMinEvents: number;
  /** Base64 of 32 bytes; when unset a dev master key is generated into the data directory. */
  masterKey?: string;
  /**
   * KEYLEDGER_PREVIOUS_MASTER_KEYS: comma-separated base64 master keys that only open (never seal) material and
   * import tokens sealed before a master key rotation (see `keyledger rotate-master-key`). Empty when unset.
   */
  previousMasterKeys?: string[];
  /**
   * development (default): `test`/`test` works, a development master key is generated, with warnings. production:
   * no default credentials, and the service refuses to start without KEYLEDGER_MASTER_KEY and a credentials file.
   */
  mode: 'development' | 'production';
  /** The principals that may call (KEYLEDGER_CREDENTIALS_FILE), reloaded when the file changes. */
  credentialsFile?: string;
  /** Whether `test`/`test` (account defaultAccountId) is accepted; never in production mode. */
  defaultCredentials: boolean;
  defaultAccountId: string;
  defaultRegion: string;
  expiryIntervalMs: number;
  /** Wrapping key pairs kept ready per RSA size (KEYLEDGER_WRAPPING_KEY_POOL_SIZE; 0 disables a size's pool). */
  wrappingKeyPoolSize: Record<WrappingKeySpec, number>;
  /** Material kept unsealed in memory for this many (key, material) pairs, zeroed on removal (KEYLEDGER_MATERIAL_CACHE_SIZE; 0: off). */
  materialCacheSize: number;
  /** Folded key states kept in memory (KEYLEDGER_KEY_STATE_CACHE_SIZE; 0: off). */
  keyStateCacheSize: number;
  /** How long a use trusts a cached key state without asking the store (KEYLEDGER_KEY_STATE_TRUST_MS; 0: every use asks). */
  keyStateTrustMs: number;
  logFormat: 'json' | 'text';
  /** pino level (LOG_LEVEL): fatal, error, warn, info (default: the banner and one line per request), debug, trace, silent. */
  logLevel: LogLevel;
  /** When set, GET /metrics wants this bearer token (KEYLEDGER_METRICS_TOKEN); unset, /metrics is open like /health. */
  metricsToken?: string;
  /** Ed25519 private key signing the audit digests (PEM, base64 PKCS#8 DER, or a file path); unset: a dev key in the data directory. */
  auditSigningKey?: string;
  /** A digest of the log is signed at least this often while the log grows... */
  auditDigestIntervalMs: number;
  /** ...and as soon as it has grown by this many events (0: by time only). */
  auditDigestEveryEvents: number;
  /** Record every cryptographic use of a key (and refused attempts) in the usage log (KEYLEDGER_USAGE_LOG=on|off). */
  usageLog: boolean;
  /** Re-sign SigV4 requests on a thread of its own while the service is busy (KEYLEDGER_SIGNING_THREAD=on|off). */
  signingThread: boolean;
  /** Usage records are written in batches at least this often (group commit). */
  usageFlushIntervalMs: number;
  /** A request must arrive whole (headers and body) within this time, or its connection is closed (KEYLEDGER_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number;
  /** A request's headers must arrive within this time (KEYLEDGER_HEADERS_TIMEOUT_MS; at most the request timeout). */
  headersTimeoutMs: number;
  /** Simultaneous connections per server; more are closed as they are accepted (KEYLEDGER_MAX_CONNECTIONS). */
  maxConnections: number;
  /** KEYLEDGER_SEED_FILE: keys applied at start-up, through the import flow, before the service listens (seed-at-start/). */
  seedFile?: string;
}

export class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got '${raw}'.`);
  return value;
}

/** Below this, the service's own catch-up is over in a few seconds anyway (it applies 20,000-30,000 events/s here). */
export const DEFAULT_STARTUP_REPLAY_MIN_EVENTS = 50_000;

/**
 * Pairs kept ready per wrapping key spec, sized for a test suite's burst of imports: RSA_2048 (the usual choice)
 * 8, RSA_3072 2, RSA_4096 2. Filling them takes about 2 s of one core in the background after start-up (an
 * RSA_4096 pair alone takes 0.3-1.5 s); a request that finds its pool empty waits for the next pair.
 */
export const DEFAULT_WRAPPING_KEY_POOL_SIZES: Readonly<Record<WrappingKeySpec, number>> = { RSA_2048: 8, RSA_3072: 2, RSA_4096: 2 };

/** `n` (every spec), or `RSA_2048=8,RSA_4096=1` (specs not named keep their default). */
function wrappingKeyPoolSizes(raw: string | undefined): Record<WrappingKeySpec, number> {
  const sizes = { ...DEFAULT_WRAPPING_KEY_POOL_SIZES };
  if (raw === undefined || raw.trim() === '') return sizes;
  const invalid = () =>
    new ConfigError(`KEYLEDGER_WRAPPING_KEY_POOL_SIZE must be an integer from 0 to 64, or a list like 'RSA_2048=8,RSA_3072=2,RSA_4096=1', got '${raw}'.`);
  const size = (text: string) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isInteger(value) || value < 0 || value > 64) throw invalid();
    return value;
  };
  if (!raw.includes('=')) return Object.fromEntries(IMPLEMENTED_WRAPPING_KEY_SPECS.map((spec) => [spec, size(raw)])) as Record<WrappingKeySpec, number>;
  for (const entry of raw.split(',')) {
    const [spec, value, ...rest] = entry.split('=').map((part) => part.trim());
    if (rest.length > 0 || !isImplementedWrappingKeySpec(spec) || value === undefined) throw invalid();
    sizes[spec] = size(value);
  }
  return sizes;
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new ConfigError(`${name} must be 'on' or 'off', got '${raw}'.`);
}

export const DEFAULT_STORE_TIMEOUT_MS = 5000;

/**
 * The EventStoreDB URL with the store timeout as its `defaultDeadline`. A URL that names its own keeps it; it
 * must then agree with KEYLEDGER_STORE_TIMEOUT_MS if that is set too.
 */
function withStoreTimeout(url: string | undefined, timeoutMs: number, timeoutSet: boolean): { url?: string; timeoutMs: number } {
  if (!url) return { url, timeoutMs };
  const at = url.indexOf('?');
  const base = at < 0 ? url : url.slice(0, at);
  const query = at < 0 ? '' : url.slice(at + 1);
  const params = new URLSearchParams(query);
  const named = [...params.keys()].find((key) => key.trim().toLowerCase().replace(/[_-]/g, '') === 'defaultdeadline');
  if (named !== undefined) {
    const own = Number(params.get(named));
    if (!Number.isSafeInteger(own) || own <= 0) throw new ConfigError(`KEYLEDGER_EVENTSTORE_URL's ${named} must be a positive integer (ms), got '${params.get(named)}'.`);
    if (timeoutSet && own !== timeoutMs) throw new ConfigError(`KEYLEDGER_STORE_TIMEOUT_MS (${timeoutMs}) contradicts KEYLEDGER_EVENTSTORE_URL's ${named} (${own}); set one of them.`);
    return { url, timeoutMs: own };
  }
  return { url: `${base}?${query}${query && !query.endsWith('&') ? '&' : ''}defaultDeadline=${timeoutMs}`, timeoutMs };
}

function deployment(raw: string | undefined): string {
  const value = raw || 'keyledger';
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(value)) throw new ConfigError(`KEYLEDGER_EVENTSTORE_DEPLOYMENT must be lowercase letters, digits and dashes, got '${value}'.`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): KeyledgerConfig {
  const account = env.KEYLEDGER_ACCOUNT_ID ?? '000000000000';
  if (!/^\d{12}$/.test(account)) throw new ConfigError(`KEYLEDGER_ACCOUNT_ID must be 12 digits, got '${account}'.`);
  const logFormat = env.LOG_FORMAT ?? 'json';
  if (logFormat !== 'json' && logFormat !== 'text') throw new ConfigError(`LOG_FORMAT must be 'json' or 'text', got '${logFormat}'.`);
  const logLevel = (env.LOG_LEVEL ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${env.LOG_LEVEL}'.`);
  const dataDir = resolve(env.DATA_DIR ?? './data');
  const mode = env.KEYLEDGER_MODE ?? 'development';
  if (mode !== 'development' && mode !== 'production') throw new ConfigError(`KEYLEDGER_MODE must be 'development' or 'production', got '${mode}'.`);
  const credentialsFile = env.KEYLEDGER_CREDENTIALS_FILE ? resolve(env.KEYLEDGER_CREDENTIALS_FILE) : undefined;
  const store = withStoreTimeout(
    env.KEYLEDGER_EVENTSTORE_URL || undefined,
    integer(env, 'KEYLEDGER_STORE_TIMEOUT_MS', DEFAULT_STORE_TIMEOUT_MS, 100, 600_000),
    Boolean(env.KEYLEDGER_STORE_TIMEOUT_MS),
  );
  if (mode === 'production') {
    const missing = [!env.KEYLEDGER_MASTER_KEY && 'KEYLEDGER_MASTER_KEY (a generated development key would sit beside the data it protects)', !credentialsFile && 'KEYLEDGER_CREDENTIALS_FILE (the default test credentials are off in production)'].filter(Boolean);
    if (missing.length > 0) throw new ConfigError(`Production mode needs ${missing.join(' and ')}.`);
    if (env.KEYLEDGER_DEFAULT_CREDENTIALS === 'on') throw new ConfigError('KEYLEDGER_DEFAULT_CREDENTIALS=on is not allowed in production mode.');
  }
  const requestTimeoutMs = integer(env, 'KEYLEDGER_REQUEST_TIMEOUT_MS', 30_000, 500, 600_000);
  const headersTimeoutMs = integer(env, 'KEYLEDGER_HEADERS_TIMEOUT_MS', Math.min(10_000, requestTimeoutMs), 500, 600_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(`KEYLEDGER_HEADERS_TIMEOUT_MS (${headersTimeoutMs}) must not exceed KEYLEDGER_REQUEST_TIMEOUT_MS (${requestTimeoutMs}).`);
  }
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: env.HOST ?? '127.0.0.1',
    dataDir,
    eventStoreUrl: store.url,
    storeTimeoutMs: store.timeoutMs,
    eventStoreDeployment: deployment(env.KEYLEDGER_EVENTSTORE_DEPLOYMENT),
    instanceId: env.KEYLEDGER_INSTANCE_ID || `${hostname()}-${process.pid}`,
    readModelsFile: resolve(env.KEYLEDGER_READ_MODELS_FILE || join(dataDir, 'read-models.sqlite')),
    startupReplayMinEvents: integer(env, 'KEYLEDGER_STARTUP_REPLAY_MIN_EVENTS', DEFAULT_STARTUP_REPLAY_MIN_EVENTS, 0, Number.MAX_SAFE_INTEGER),
    masterKey: env.KEYLEDGER_MASTER_KEY || undefined,
    previousMasterKeys: (env.KEYLEDGER_PREVIOUS_MASTER_KEYS ?? '').split(',').map((key) => key.trim()).filter((key) => key.length > 0),
    mode,
    credentialsFile,
    defaultCredentials: mode === 'development' && onOff(env, 'KEYLEDGER_DEFAULT_CREDENTIALS', true),
    defaultAccountId: account,
    defaultRegion: env.KEYLEDGER_REGION ?? env.AWS_REGION ?? 'us-east-1',
    expiryIntervalMs: integer(env, 'KEYLEDGER_EXPIRY_INTERVAL_MS', 1000, 50, 3_600_000),
    wrappingKeyPoolSize: wrappingKeyPoolSizes(env.KEYLEDGER_WRAPPING_KEY_POOL_SIZE),
    materialCacheSize: integer(env, 'KEYLEDGER_MATERIAL_CACHE_SIZE', DEFAULT_MATERIAL_CACHE_SIZE, 0, 1_000_000),
    keyStateCacheSize: integer(env, 'KEYLEDGER_KEY_STATE_CACHE_SIZE', DEFAULT_KEY_STATE_CACHE_SIZE, 0, 10_000_000),
    keyStateTrustMs: integer(env, 'KEYLEDGER_KEY_STATE_TRUST_MS', DEFAULT_KEY_STATE_TRUST_MS, 0, 60_000),
    logFormat,
    logLevel,
    metricsToken: env.KEYLEDGER_METRICS_TOKEN || undefined,
    auditSigningKey: env.KEYLEDGER_AUDIT_SIGNING_KEY || undefined,
    auditDigestIntervalMs: integer(env, 'KEYLEDGER_AUDIT_DIGEST_INTERVAL_MS', 300_000, 100, 86_400_000),
    auditDigestEveryEvents: integer(env, 'KEYLEDGER_AUDIT_DIGEST_EVERY_EVENTS', 1000, 0, 1_000_000),
    usageLog: onOff(env, 'KEYLEDGER_USAGE_LOG', true),
    signingThread: onOff(env, 'KEYLEDGER_SIGNING_THREAD', true),
    usageFlushIntervalMs: integer(env, 'KEYLEDGER_USAGE_FLUSH_MS', DEFAULT_USAGE_FLUSH_INTERVAL_MS, 1, 10_000),
    requestTimeoutMs,
    headersTimeoutMs,
    maxConnections: integer(env, 'KEYLEDGER_MAX_CONNECTIONS', 2048, 1, 1_000_000),
    seedFile: env.KEYLEDGER_SEED_FILE ? resolve(env.KEYLEDGER_SEED_FILE) : undefined,
  };
}
