import { Inject, Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ExpireKeyMaterial } from '../commands/expire-key-material';
import { CLOCK, Clock, ID_GENERATOR, IdGenerator, KEY_READ_MODEL, KeyReadModel } from '../ports';

export const EXPIRY_JOB_OPTIONS = Symbol('ExpiryJobOptions');
export interface ExpiryJobOptions {
  intervalMs: number;
}

/**
 * Records KeyMaterialExpired for material whose ValidTo has passed, within one interval of it. Correctness does
 * not depend on this job (every operation treats material past ValidTo as gone); it makes the log and the
 * read models say so, and shreds the material. Safe to run in several instances: a second expiry of the same
 * material decides to append nothing.
 */
@Injectable()
export class ExpiryJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ExpiryJob.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly commandBus: CommandBus,
    @Inject(KEY_READ_MODEL) private readonly readModel: KeyReadModel,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    @Inject(EXPIRY_JOB_OPTIONS) private readonly options: ExpiryJobOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One sweep; overlapping sweeps are skipped. Returns how many materials it recorded as expired. */
  async runOnce(): Promise<number> {
    if (this.running) return 0;
    this.running = this.sweep().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweep(): Promise<number> {
    let expired = 0;
    try {
      const keyIds = await this.readModel.keysWithMaterialDueForExpiry(this.clock.now(), 100);
      for (const keyId of keyIds) {
        const count: number = await this.commandBus.execute(new ExpireKeyMaterial(keyId, this.ids.uuid()));
        if (count > 0) this.logger.log({ msg: 'key material expired', keyId, materials: count });
        expired += count;
      }
    } catch (error) {
      this.logger.error({ msg: 'expiry sweep failed', error: (error as Error).message });
    }
    return expired;
  }
}
