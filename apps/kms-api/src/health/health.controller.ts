import { Controller, Get, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PROJECTION_PROGRESS } from '@keyledger/application';
import { ProjectionRunner } from '@keyledger/projections';
import { Storage, STORAGE } from '../storage/storage';

/** Liveness plus what an operator wants to see: which store, the log's head, and how far the read models lag. */
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(STORAGE) private readonly storage: Storage,
    @Inject(PROJECTION_PROGRESS) private readonly projections: ProjectionRunner,
  ) {}

  @Get()
  async health() {
    const head = await this.storage.eventStore.headPosition();
    return {
      status: 'ok',
      eventStore: { kind: this.storage.kind, headPosition: head },
      projections: { checkpoint: this.projections.checkpoint, lag: head - this.projections.checkpoint },
    };
  }
}
