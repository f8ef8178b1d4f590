import { Inject, Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { PROJECTION_PROGRESS } from '@keyledger/application';
import { EventStoreDbCheckpointStore } from '@keyledger/event-store';
import { ProjectionRunner } from '@keyledger/projections';

export const CHECKPOINT_PUBLISHER_OPTIONS = Symbol('CheckpointPublisherOptions');
export interface CheckpointPublisherOptions {
  /** Set on EventStoreDB only: where to publish. */
  store?: EventStoreDbCheckpointStore;
  intervalMs: number;
}

/**
 * On EventStoreDB, publishes this instance's projection checkpoint to the stream
 * `<deployment>-checkpoint-<instanceId>`, so every instance's read-model progress is visible in the cluster.
 * The checkpoint the runner resumes from stays in the read-models database, written in the same transaction as
 * the rows: a checkpoint kept anywhere else could not move atomically with them.
 */
@Injectable()
export class CheckpointPublisher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CheckpointPublisher.name);
  private timer?: NodeJS.Timeout;
  private published = -1;
  private publishing?: Promise<void>;

  constructor(
    @Inject(PROJECTION_PROGRESS) private readonly runner: ProjectionRunner,
    @Inject(CHECKPOINT_PUBLISHER_OPTIONS) private readonly options: CheckpointPublisherOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.store) return;
    this.timer = setInterval(() => void this.publish(), this.options.intervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.publishing;
    await this.publish();
    await this.options.store?.close();
  }

  private async publish(): Promise<void> {
    const store = this.options.store;
    const checkpoint = this.runner.checkpoint;
    if (!store || this.publishing || checkpoint === this.published) return;
    this.publishing = store
      .write(checkpoint)
      .then(() => void (this.published = checkpoint))
      .catch((error: Error) => this.logger.warn({ msg: 'could not publish the projection checkpoint', checkpoint, error: error.message }))
      .finally(() => (this.publishing = undefined));
    await this.publishing;
  }
}
