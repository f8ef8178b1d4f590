import type pino from 'pino';
import type { KeyledgerMetrics } from './metrics';
import type { RequestOutcome } from './request-outcome';

/** One access-log line and the request metrics for every answered request, whichever path answered it. */
export class RequestObserver {
  constructor(
    private readonly log: pino.Logger,
    private readonly metrics: KeyledgerMetrics,
  ) {}

  answered(outcome: RequestOutcome, options: { quiet?: boolean } = {}): void {
    this.metrics.requestAnswered(outcome);
    const level = options.quiet ? 'debug' : 'info';
    if (this.log.isLevelEnabled(level)) this.log[level]({ ...outcome, durationMs: Math.round(outcome.durationMs * 1000) / 1000 }, 'request');
  }
}
