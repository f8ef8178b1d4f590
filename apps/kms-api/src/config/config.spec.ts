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
