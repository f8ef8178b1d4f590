import { Inject, Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { DeleteAliasesOfDeletedKey } from '../aliases/alias-commands';
import { ExpireKeyMaterial } from '../commands/expire-key-material';
import { DeleteKey } from '../lifecycle/delete-key';
import { RotateKeyAutomatically } from '../lifecycle/rotation-commands';
import { CLOCK, Clock, ID_GENERATOR, IdGenerator, KEY_READ_MODEL, KeyReadModel } from '../ports';

export const MAINTENANCE_JOB_OPTIONS = Symbol('MaintenanceJobOptions');
export interface MaintenanceJobOptions {
  intervalMs: number;
  /** Told what every sweep did, and whether a kind of work failed (the service's metrics). */
  onSweep?: (result: SweepResult, failed: boolean) => void;
}

/** Keys handled per kind of work per sweep; the rest wait for the next sweep. */
const BATCH = 100;

export interface SweepResult {
  expiredMaterials: number;
  deletedKeys: number;
  deletedAliases: number;
  rotatedKeys: number;
}

/**
 * What time does to keys, within one interval of it being due: records KeyMaterialExpired for material past its
 * ValidTo (and shreds it), deletes keys whose DeletionDate has passed (all their material shredded, then their
 * aliases), and rotates AWS_KMS keys whose automatic rotation is due. Correctness does not wait for it: every
 * operation treats expired material as gone. Safe in several instances: the decider records each expiry,
 * deletion and rotation once, and a late instance's attempt appends nothing.
 */
@Injectable()
export class MaintenanceJob implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MaintenanceJob.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<SweepResult>;

  constructor(
    private readonly commandBus: CommandBus,
    @Inject(KEY_READ_MODEL) private readonly readModel: KeyReadModel,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    @Inject(MAINTENANCE_JOB_OPTIONS) private readonly options: MaintenanceJobOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One sweep; overlapping sweeps are skipped (they answer zeros). */
  async runOnce(): Promise<SweepResult> {
    if (this.running) return { expiredMaterials: 0, deletedKeys: 0, deletedAliases: 0, rotatedKeys: 0 };
    this.running = this.sweep().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * A sweep that reads the clock now: waits for one in flight (it may have read the clock before the test clock
   * moved it), then sweeps. The test clock calls it right after moving, so what became due is done before it answers.
   */
  async sweepNow(): Promise<SweepResult> {
    while (this.running) await this.running.catch(() => undefined);
    return this.runOnce();
  }

  private async sweep(): Promise<SweepResult> {
    const result: SweepResult = { expiredMaterials: 0, deletedKeys: 0, deletedAliases: 0, rotatedKeys: 0 };
    const now = this.clock.now();
    const succeeded: boolean[] = [];
    succeeded.push(await this.each('expiry', () => this.readModel.keysWithMaterialDueForExpiry(now, BATCH), async (keyId) => {
      const count: number = await this.commandBus.execute(new ExpireKeyMaterial(keyId, this.ids.uuid()));
      if (count > 0) this.logger.log({ msg: 'key material expired', keyId, materials: count });
      result.expiredMaterials += count;
    }));
    succeeded.push(await this.each('deletion', () => this.readModel.keysDueForDeletion(now, BATCH), async (keyId) => {
      const deleted: number = await this.commandBus.execute(new DeleteKey(keyId, this.ids.uuid()));
      if (deleted > 0) this.logger.log({ msg: 'key deleted', keyId });
      result.deletedKeys += deleted;
      // Also after another instance deleted the key: its aliases go once the key is gone, whoever deleted it.
      result.deletedAliases += (await this.commandBus.execute(new DeleteAliasesOfDeletedKey(keyId, this.ids.uuid()))) as number;
    }));
    succeeded.push(await this.each('rotation', () => this.readModel.keysDueForRotation(now, BATCH), async (keyId) => {
      const rotated: number = await this.commandBus.execute(new RotateKeyAutomatically(keyId, this.ids.uuid()));
      if (rotated > 0) this.logger.log({ msg: 'key rotated automatically', keyId });
      result.rotatedKeys += rotated;
    }));
    this.options.onSweep?.(result, succeeded.includes(false));
    return result;
  }

  /** One kind of work; a failure is logged (and answered false) and does not stop the other kinds. */
  private async each(kind: string, due: () => Promise<string[]>, work: (keyId: string) => Promise<void>): Promise<boolean> {
    try {
      for (const keyId of await due()) await work(keyId);
      return true;
    } catch (error) {
      this.logger.error({ msg: `${kind} sweep failed`, error: (error as Error).message });
      return false;
    }
  }
}
