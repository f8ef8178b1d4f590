import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { KeyCommandExecutor } from '../key-command-executor';
import { MATERIAL_VAULT, MaterialVault } from '../ports';

/**
 * At start-up, shreds vault entries the log says are gone. They exist only if the process stopped between
 * appending KeyMaterialDeleted/Expired (or a rejected import's retry) and shredding.
 */
@Injectable()
export class VaultReconciler implements OnApplicationBootstrap {
  private readonly logger = new Logger(VaultReconciler.name);

  constructor(
    private readonly executor: KeyCommandExecutor,
    @Inject(MATERIAL_VAULT) private readonly vault: MaterialVault,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    let shredded = 0;
    for (const entry of await this.vault.list()) {
      const { state, revision } = await this.executor.load(entry.keyId);
      const material = state.materials.find((m) => m.keyMaterialId === entry.keyMaterialId);
      if (!material || material.importState !== 'IMPORTED') {
        await this.vault.shred(entry.keyId, entry.keyMaterialId, revision + 1);
        shredded++;
      }
    }
    if (shredded > 0) this.logger.warn({ msg: 'shredded key material the log records as deleted or expired', count: shredded });
  }
}
