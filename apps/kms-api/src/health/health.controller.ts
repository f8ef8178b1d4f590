import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { CLOCK, Clock, PROJECTION_PROGRESS } from '@keyledger/application';
import { storeUnavailableOf } from '@keyledger/event-store';
import { ProjectionRunner } from '@keyledger/projections';
import { clockOffsetMs, SERVICE_MODE, type ServiceMode } from '../rest/admin/service-clock';
import { SeedAtStart } from '../seed-at-start/seed-at-start';
import { Storage, STORAGE } from '../storage/storage';

/** How long a failed probe of the event store answers /health, so polling a store that is down does not load it. */
export const HEALTH_PROBE_CACHE_MS = 1000;

type StoreProbe = { reachable: true; headPosition: number } | { reachable: false; error: string };

/**
 * Liveness plus what an operator wants to see: the mode, the service clock (and how far the test clock moved it),
 * the seed file applied at start (KEYLEDGER_SEED_FILE), which store, the log's head, and how far the read models lag.
 * The event store is probed with a cheap call (its head position); requests arriving while a probe runs share
 * it. While the store cannot be reached, is too slow or busy, the answer is 503 `degraded` with the reason
 * (`unreachable`, `timeout`, `busy`), that failure is reused for HEALTH_PROBE_CACHE_MS, and the answer is `ok`
 * again at the first probe that succeeds. A healthy answer is never reused: the head it shows is current. The
 * probe is bounded by the store's own deadline, so /health never hangs on a hung store.
 */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  private probe?: { settledAt?: number; result: Promise<StoreProbe> };

  constructor(
    @Inject(STORAGE) private readonly storage: Storage,
    @Inject(PROJECTION_PROGRESS) private readonly projections: ProjectionRunner,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SERVICE_MODE) private readonly mode: ServiceMode,
    private readonly seed: SeedAtStart,
  ) {}

  @Get()
  async health(@Res({ passthrough: true }) response: Response) {
    // Only the seeding loopback server can ask before the seed is applied: the service listens after it.
    if (this.seed.status.status === 'seeding') {
      response.status(503);
      return { status: 'seeding', ...this.service() };
    }
    const store = await this.probeStore();
    const checkpoint = this.projections.checkpoint;
    if (!store.reachable) {
      response.status(503);
      return {
        status: 'degraded',
        ...this.service(),
        eventStore: { kind: this.storage.kind, reachable: false, error: store.error },
        projections: { checkpoint },
      };
    }
    return {
      status: 'ok',
      ...this.service(),
      eventStore: { kind: this.storage.kind, reachable: true, headPosition: store.headPosition },
      projections: { checkpoint, lag: store.headPosition - checkpoint },
    };
  }

  /** The mode, and the service clock when the test clock has moved it (so a test run's odd times explain themselves). */
  private service() {
    const seed = this.seed.status;
    return {
      mode: this.mode,
      clock: { now: new Date(this.clock.now()).toISOString(), offsetSeconds: clockOffsetMs(this.clock) / 1000 },
      ...(seed.status !== 'off' && { seed }),
    };
  }

  /** The probe in flight, or the last failed one for HEALTH_PROBE_CACHE_MS after it ended. */
  private probeStore(): Promise<StoreProbe> {
    const probe = this.probe;
    if (probe && (probe.settledAt === undefined || Date.now() - probe.settledAt < HEALTH_PROBE_CACHE_MS)) return probe.result;
    const current: { settledAt?: number; result: Promise<StoreProbe> } = {
      result: this.storage.eventStore.headPosition().then(
        (headPosition): StoreProbe => {
          if (this.probe === current) this.probe = undefined;
          return { reachable: true, headPosition };
        },
        (error: unknown): StoreProbe => {
          current.settledAt = Date.now();
          return { reachable: false, error: storeUnavailableOf(error)?.reason ?? 'error' };
        },
      ),
    };
    this.probe = current;
    return current.result;
  }
}
