import { timingSafeEqual } from 'node:crypto';
import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { KeyledgerMetrics } from './metrics';

export const METRICS_TOKEN = Symbol('MetricsToken');

/**
 * Prometheus scrape endpoint. Like /health it holds no key data and is open by default; with
 * KEYLEDGER_METRICS_TOKEN set it wants `Authorization: Bearer <token>` (a scraper's own token, not a KMS principal).
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: KeyledgerMetrics,
    @Inject(METRICS_TOKEN) private readonly token: string | undefined,
  ) {}

  @Get()
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() response: Response): Promise<void> {
    if (this.token !== undefined && !bearerMatches(authorization, this.token)) {
      response.status(401).setHeader('WWW-Authenticate', 'Bearer realm="metrics"').type('text/plain').send('A bearer token is required for /metrics.\n');
      return;
    }
    response.status(200).type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}

function bearerMatches(authorization: string | undefined, token: string): boolean {
  if (!authorization?.startsWith('Bearer ')) return false;
  const given = Buffer.from(authorization.slice('Bearer '.length).trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
