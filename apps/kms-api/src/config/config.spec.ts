import { ConfigError, DEFAULT_STORE_TIMEOUT_MS, loadConfig } from './config';

describe('loadConfig: the store timeout (KEYLEDGER_STORE_TIMEOUT_MS)', () => {
  it('defaults to 5 s and travels to EventStoreDB as the connection string defaultDeadline', () => {
    expect(loadConfig({}).storeTimeoutMs).toBe(DEFAULT_STORE_TIMEOUT_MS);
    expect(loadConfig({}).eventStoreUrl).toBeUndefined();
    expect(loadConfig({ KEYLEDGER_EVENTSTORE_URL: 'esdb://eventstore:2113?tls=false' })).toMatchObject({
      eventStoreUrl: 'esdb://eventstore:2113?tls=false&defaultDeadline=5000',
      storeTimeoutMs: 5000,
    });
    expect(loadConfig({ KEYLEDGER_EVENTSTORE_URL: 'esdb://eventstore:2113', KEYLEDGER_STORE_TIMEOUT_MS: '1500' })).toMatchObject({
      eventStoreUrl: 'esdb://eventstore:2113?defaultDeadline=1500',
      storeTimeoutMs: 1500,
    });
  });

  it("keeps a deadline the URL names itself, which must agree with KEYLEDGER_STORE_TIMEOUT_MS if both are set", () => {
    const url = 'esdb://a:2113,b:2113?tls=true&default_deadline=2000';
    expect(loadConfig({ KEYLEDGER_EVENTSTORE_URL: url })).toMatchObject({ eventStoreUrl: url, storeTimeoutMs: 2000 });
    expect(loadConfig({ KEYLEDGER_EVENTSTORE_URL: url, KEYLEDGER_STORE_TIMEOUT_MS: '2000' }).storeTimeoutMs).toBe(2000);
    expect(() => loadConfig({ KEYLEDGER_EVENTSTORE_URL: url, KEYLEDGER_STORE_TIMEOUT_MS: '1500' })).toThrow(ConfigError);
    expect(() => loadConfig({ KEYLEDGER_EVENTSTORE_URL: 'esdb://a:2113?defaultDeadline=soon' })).toThrow(ConfigError);
  });

  it('refuses a timeout out of range', () => {
    for (const value of ['0', '99', '600001', 'fast']) expect(() => loadConfig({ KEYLEDGER_STORE_TIMEOUT_MS: value })).toThrow(ConfigError);
  });
});

describe('loadConfig: the wrapping key pool (KEYLEDGER_WRAPPING_KEY_POOL_SIZE)', () => {
  it('defaults to a test suite burst per spec, takes one size for all, or sizes per spec', () => {
    expect(loadConfig({}).wrappingKeyPoolSize).toEqual({ RSA_2048: 8, RSA_3072: 2, RSA_4096: 2 });
    expect(loadConfig({ KEYLEDGER_WRAPPING_KEY_POOL_SIZE: '0' }).wrappingKeyPoolSize).toEqual({ RSA_2048: 0, RSA_3072: 0, RSA_4096: 0 });
    expect(loadConfig({ KEYLEDGER_WRAPPING_KEY_POOL_SIZE: 'RSA_2048=16, RSA_4096=0' }).wrappingKeyPoolSize).toEqual({ RSA_2048: 16, RSA_3072: 2, RSA_4096: 0 });
  });

  it('refuses sizes out of range and unknown specs, saying what it takes', () => {
    for (const value of ['-1', '65', 'many', 'RSA_1024=2', 'RSA_2048=', 'RSA_2048=2=3', 'RSA_2048=x']) {
      expect(() => loadConfig({ KEYLEDGER_WRAPPING_KEY_POOL_SIZE: value })).toThrow(/KEYLEDGER_WRAPPING_KEY_POOL_SIZE must be an integer from 0 to 64, or a list like 'RSA_2048=8,RSA_3072=2,RSA_4096=1'/);
    }
  });
});

describe('loadConfig: logs and caches', () => {
  it('takes LOG_LEVEL, KEYLEDGER_MATERIAL_CACHE_SIZE and KEYLEDGER_METRICS_TOKEN', () => {
    expect(loadConfig({})).toMatchObject({ logLevel: 'info', materialCacheSize: 1000, metricsToken: undefined });
    expect(loadConfig({ LOG_LEVEL: 'debug', KEYLEDGER_MATERIAL_CACHE_SIZE: '0', KEYLEDGER_METRICS_TOKEN: 't' })).toMatchObject({ logLevel: 'debug', materialCacheSize: 0, metricsToken: 't' });
    expect(() => loadConfig({ LOG_LEVEL: 'verbose' })).toThrow(ConfigError);
    expect(() => loadConfig({ KEYLEDGER_MATERIAL_CACHE_SIZE: '-1' })).toThrow(ConfigError);
  });
});

describe('loadConfig: the replay before start (KEYLEDGER_STARTUP_REPLAY_MIN_EVENTS)', () => {
  it('defaults to 50,000 events, takes 0 for never, and refuses what is not a count', () => {
    expect(loadConfig({}).startupReplayMinEvents).toBe(50_000);
    expect(loadConfig({ KEYLEDGER_STARTUP_REPLAY_MIN_EVENTS: '0' }).startupReplayMinEvents).toBe(0);
    expect(loadConfig({ KEYLEDGER_STARTUP_REPLAY_MIN_EVENTS: '1' }).startupReplayMinEvents).toBe(1);
    for (const value of ['-1', 'many', '1.5']) expect(() => loadConfig({ KEYLEDGER_STARTUP_REPLAY_MIN_EVENTS: value })).toThrow(ConfigError);
  });
});

describe('loadConfig: the SigV4 signing thread (KEYLEDGER_SIGNING_THREAD)', () => {
  it('is on unless set to off, and refuses anything else', () => {
    expect(loadConfig({}).signingThread).toBe(true);
    expect(loadConfig({ KEYLEDGER_SIGNING_THREAD: 'on' }).signingThread).toBe(true);
    expect(loadConfig({ KEYLEDGER_SIGNING_THREAD: 'off' }).signingThread).toBe(false);
    expect(() => loadConfig({ KEYLEDGER_SIGNING_THREAD: 'yes' })).toThrow("KEYLEDGER_SIGNING_THREAD must be 'on' or 'off', got 'yes'.");
  });
});
