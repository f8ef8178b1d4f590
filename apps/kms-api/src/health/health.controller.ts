import { Controller, Get, Inject } from '@nestjs/common';
import { PROJECTION_PROGRESS } from '@keyledger/application';
import { EVENT_STORE } from '@keyledger/application';
import type { EventStore } from '@keyledger/event-store';
import { ProjectionRunner } from '@keyledger/projections';

/** Liveness plus the two numbers an operator wants: the log's head and how far the read models are behind it. */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION_PROGRESS) private readonly projections: ProjectionRunner,
  ) {}

  @Get()
  async health() {
    const head = await this.store.headPosition();
    return { status: 'ok', eventStore: { headPosition: head }, projections: { checkpoint: this.projections.checkpoint, lag: head - this.projections.checkpoint } };
  }
}
