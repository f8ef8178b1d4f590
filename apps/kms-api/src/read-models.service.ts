import { Inject, Injectable, BeforeApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { PROJECTION_PROGRESS } from '@keyledger/application';
import { ProjectionRunner } from '@keyledger/projections';

/**
 * Starts the projections' catch-up subscription before the API serves requests (and before the jobs of
 * onApplicationBootstrap append anything: the read models are checked against the log's head first), and stops it
 * on shutdown.
 */
@Injectable()
export class ReadModelsLifecycle implements OnModuleInit, BeforeApplicationShutdown {
  constructor(@Inject(PROJECTION_PROGRESS) private readonly runner: ProjectionRunner) {}

  async onModuleInit(): Promise<void> {
    await this.runner.startCheckingLog();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }
}
