import { Inject, Injectable, BeforeApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { PROJECTION_PROGRESS } from '@keyledger/application';
import { ProjectionRunner } from '@keyledger/projections';

/** Starts the projections' catch-up subscription before the API serves requests, and stops it on shutdown. */
@Injectable()
export class ReadModelsLifecycle implements OnModuleInit, BeforeApplicationShutdown {
  constructor(@Inject(PROJECTION_PROGRESS) private readonly runner: ProjectionRunner) {}

  onModuleInit(): void {
    this.runner.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }
}
