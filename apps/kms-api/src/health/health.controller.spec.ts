import type { Response } from 'express';
import { StoreUnavailableError } from '@keyledger/event-store';
import type { ProjectionRunner } from '@keyledger/projections';
import type { Storage } from '../storage/storage';
import { ServiceClock } from '../rest/admin/service-clock';
import type { SeedAtStart, SeedStatus } from '../seed-at-start/seed-at-start';
import { HEALTH_PROBE_CACHE_MS, HealthController } from './health.controller';

describe('HealthController', () => {
  let head: () => Promise<number>;
  let probes: number;
  let controller: HealthController;
  let clock: ServiceClock;
  let seed: SeedStatus;
  const response = () => {
    const res = { statusCode: 200, status: (code: number) => ((res.statusCode = code), res) };
    return res;
  };

  beforeEach(() => {
    probes = 0;
    const storage = { kind: 'eventstoredb', eventStore: { headPosition: () => (probes++, head()) } } as unknown as Storage;
    clock = new ServiceClock();
    seed = { status: 'off' };
    controller = new HealthController(storage, { checkpoint: 40 } as ProjectionRunner, clock, 'development', { get status() { return seed; } } as SeedAtStart);
  });

  afterEach(() => jest.useRealTimers());

  it('is ok with the head and the lag while the store answers, probing it for every request', async () => {
    head = async () => 42;
    const res = response();
    expect(await controller.health(res as unknown as Response)).toEqual({
      status: 'ok',
      mode: 'development',
      clock: { now: expect.any(String), offsetSeconds: 0 },
      eventStore: { kind: 'eventstoredb', reachable: true, headPosition: 42 },
      projections: { checkpoint: 40, lag: 2 },
    });
    expect(res.statusCode).toBe(200);
    await controller.health(response() as unknown as Response);
    expect(probes).toBe(2);
  });

  it.each(['unreachable', 'timeout', 'busy'] as const)('is 503 degraded with the reason while the store is %s', async (reason) => {
    head = async () => Promise.reject(new StoreUnavailableError(reason, 'details stay in the logs'));
    const res = response();
    expect(await controller.health(res as unknown as Response)).toMatchObject({
      status: 'degraded',
      mode: 'development',
      eventStore: { kind: 'eventstoredb', reachable: false, error: reason },
      projections: { checkpoint: 40 },
    });
    expect(res.statusCode).toBe(503);
  });

  it('reuses a failed probe for a second and shares a probe in flight, then is ok again at the first probe that succeeds', async () => {
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['nextTick', 'setImmediate'] });
    head = async () => Promise.reject(new StoreUnavailableError('unreachable', 'down'));
    await Promise.all([controller.health(response() as unknown as Response), controller.health(response() as unknown as Response)]);
    expect(probes).toBe(1);
    head = async () => 7;
    jest.setSystemTime(1_000_000 + HEALTH_PROBE_CACHE_MS - 1);
    expect((await controller.health(response() as unknown as Response)).status).toBe('degraded');
    expect(probes).toBe(1);
    jest.setSystemTime(1_000_000 + HEALTH_PROBE_CACHE_MS);
    expect(await controller.health(response() as unknown as Response)).toMatchObject({ status: 'ok', eventStore: { headPosition: 7 } });
    expect(probes).toBe(2);
  });

  it('shows how far the test clock has moved the service clock', async () => {
    head = async () => 1;
    clock.advance(2 * 3600 * 1000);
    const body = await controller.health(response() as unknown as Response);
    expect(body.clock.offsetSeconds).toBe(7200);
    expect(Date.parse(body.clock.now) - Date.now()).toBeGreaterThan(7199 * 1000);
  });

  it('is 503 seeding while the seed file is applied, then says what it did', async () => {
    head = async () => 9;
    seed = { status: 'seeding', file: '/seeds/keys.json' };
    const res = response();
    expect(await controller.health(res as unknown as Response)).toMatchObject({ status: 'seeding', seed });
    expect(res.statusCode).toBe(503);
    seed = { status: 'done', file: '/seeds/keys.json', keys: 2, created: 2, imported: 0, updated: 0, unchanged: 0 };
    expect(await controller.health(response() as unknown as Response)).toMatchObject({ status: 'ok', seed });
  });

  it('reports an unexpected failure as degraded too', async () => {
    head = async () => Promise.reject(new TypeError('bug'));
    expect(await controller.health(response() as unknown as Response)).toMatchObject({ status: 'degraded', eventStore: { error: 'error' } });
  });
});
