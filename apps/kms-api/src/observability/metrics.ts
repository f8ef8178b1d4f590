import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, PROJECTION_PROGRESS, WRAPPING_KEY_SOURCE, WrappingKeyPool } from '@keyledger/application';
import { IMPLEMENTED_WRAPPING_KEY_SPECS } from '@keyledger/domain';
import type { EventStore } from '@keyledger/event-store';
import type { ProjectionRunner } from '@keyledger/projections';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RequestAuthenticator } from '../auth/request-authenticator';
import type { RequestOutcome } from './request-outcome';

/** How often the event-loop delay histogram (keyledger_nodejs_eventloop_lag_*) takes a sample. */
export const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * The service's Prometheus metrics (prom-client), in a registry of its own per application: requests by
 * operation and outcome, their latency, how far the read models lag behind the log, the wrapping-key pool's
 * depth, maintenance job runs, usage-log batch sizes, signatures checked on the signing thread, and the process's
 * own (CPU, memory, event loop lag).
 * Nothing here carries key data.
 */
@Injectable()
export class KeyledgerMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'keyledger_requests_total',
    help: 'Requests answered, by protocol, operation and outcome (Success or the AWS error type).',
    labelNames: ['protocol', 'operation', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'keyledger_request_duration_seconds',
    help: 'Time from receiving a request to answering it, by protocol and operation.',
    labelNames: ['protocol', 'operation'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly maintenanceRuns = new Counter({
    name: 'keyledger_maintenance_runs_total',
    help: 'Runs of the maintenance job (expiry, deletion, rotation sweeps), by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly maintenanceChanges = new Counter({
    name: 'keyledger_maintenance_changes_total',
    help: 'Keys changed by the maintenance job, by kind of change (expired, deleted, rotated).',
    labelNames: ['change'] as const,
    registers: [this.registry],
  });
  /**
   * The labelled children of the request metrics, kept per label set so prom-client does not hash the labels on
   * every request. Bounded: operations and AWS error types are fixed lists (unknown targets are 'Unknown').
   */
  private readonly counters = new Map<string, { inc(): void }>();
  private readonly latencies = new Map<string, { observe(value: number): void }>();
  private readonly usageBatches = new Histogram({
    name: 'keyledger_usage_log_batch_records',
    help: 'Usage records written per usage-log batch.',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(PROJECTION_PROGRESS) projections: ProjectionRunner,
    @Inject(WRAPPING_KEY_SOURCE) pool: WrappingKeyPool,
    authenticator: RequestAuthenticator,
  ) {
    // The event-loop delay histogram samples every EVENT_LOOP_SAMPLE_MS; prom-client's default (10 ms) woke an idle
    // service 100 times a second, most of its wake-ups.
    collectDefaultMetrics({ register: this.registry, prefix: 'keyledger_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    new Gauge({
      name: 'keyledger_projection_lag_events',
      help: 'Events in the log that the read models have not applied yet.',
      registers: [this.registry],
      async collect() {
        this.set(Math.max(0, (await store.headPosition()) - projections.checkpoint));
      },
    });
    new Gauge({
      name: 'keyledger_wrapping_key_pool_ready',
      help: 'Wrapping key pairs ready for GetParametersForImport, by wrapping key spec.',
      labelNames: ['spec'] as const,
      registers: [this.registry],
      collect() {
        for (const spec of IMPLEMENTED_WRAPPING_KEY_SPECS) this.set({ spec }, pool.readyCount(spec));
      },
    });
    let reportedSignatures = 0;
    new Counter({
      name: 'keyledger_sigv4_thread_signatures_total',
      help: 'Request signatures computed on the signing thread (KEYLEDGER_SIGNING_THREAD) instead of the event loop.',
      registers: [this.registry],
      collect() {
        const signatures = authenticator.signingThread?.signatures ?? 0;
        this.inc(signatures - reportedSignatures);
        reportedSignatures = signatures;
      },
    });
    new Gauge({
      name: 'keyledger_sigv4_thread_running',
      help: 'Whether the signing thread is running (it starts under load and stops when idle).',
      registers: [this.registry],
      collect() {
        this.set(authenticator.signingThread?.running ? 1 : 0);
      },
    });
  }

  requestAnswered(outcome: RequestOutcome): void {
    const { protocol, operation } = outcome;
    const result = outcome.errorType ?? (outcome.status < 400 ? 'Success' : `HTTP${outcome.status}`);
    child(this.counters, `${protocol} ${operation} ${result}`, () => this.requests.labels({ protocol, operation, outcome: result })).inc();
    child(this.latencies, `${protocol} ${operation}`, () => this.latency.labels({ protocol, operation })).observe(outcome.durationMs / 1000);
  }

  usageBatchWritten(records: number): void {
    this.usageBatches.observe(records);
  }

  maintenanceRan(outcome: 'Succeeded' | 'Failed', changes: Partial<Record<'expired' | 'deleted' | 'rotated', number>> = {}): void {
    this.maintenanceRuns.inc({ outcome });
    for (const [change, count] of Object.entries(changes)) if (count) this.maintenanceChanges.inc({ change }, count);
  }
}

function child<T>(children: Map<string, T>, id: string, make: () => T): T {
  let found = children.get(id);
  if (found === undefined) children.set(id, (found = make()));
  return found;
}
