import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { checkKeyMaterial, computeKeyMaterialId, ImportTokenSealer, unwrapKeyMaterial } from '@keyledger/crypto';
import {
  ExpirationModel,
  ImportKeyMaterialCommand,
  ImportTokenFacts,
  ImportType,
  KeyEventTypes,
  keyArn,
  KeySpec,
  UnwrapFacts,
} from '@keyledger/domain';
import { KeyCommandExecutor } from '../key-command-executor';
import { keyIdOrThrow } from '../key-resolution';
import { IMPORT_TOKEN_SEALER, MATERIAL_VAULT, MaterialVault } from '../ports';
import { RequestContext } from '../request-context';

export interface ImportKeyMaterialInput {
  keyId: string;
  importToken: Buffer;
  encryptedKeyMaterial: Buffer;
  validTo?: number;
  expirationModel?: ExpirationModel;
  importType?: ImportType;
  keyMaterialDescription?: string;
  keyMaterialId?: string;
}

/** Which material the key now holds, and the key stream's revision after the import. */
export interface KeyMaterialResult {
  keyArn: string;
  keyMaterialId?: string;
  revision: number;
}

export class ImportKeyMaterial {
  constructor(
    readonly ctx: RequestContext,
    readonly input: ImportKeyMaterialInput,
  ) {}
}

@CommandHandler(ImportKeyMaterial)
export class ImportKeyMaterialHandler implements ICommandHandler<ImportKeyMaterial, KeyMaterialResult> {
  private readonly logger = new Logger(ImportKeyMaterialHandler.name);

  constructor(
    private readonly executor: KeyCommandExecutor,
    @Inject(IMPORT_TOKEN_SEALER) private readonly tokens: ImportTokenSealer,
    @Inject(MATERIAL_VAULT) private readonly vault: MaterialVault,
  ) {}

  async execute({ ctx, input }: ImportKeyMaterial): Promise<KeyMaterialResult> {
    const keyId = keyIdOrThrow(input.keyId, ctx, { allowAlias: false });
    const arn = keyArn(ctx, keyId);
    const { state } = await this.executor.load(keyId);
    const opened = this.tokens.open(input.importToken);
    let material: Buffer | undefined;
    let unwrap: UnwrapFacts = { outcome: 'undecryptable' };
    // Unwrapping needs the key spec; when the key does not exist decide reports that first.
    if (opened && state.key && opened.claims.keyArn === arn) {
      try {
        material = unwrapKeyMaterial(opened.claims.wrappingAlgorithm, opened.wrappingPrivateKeyDer, input.encryptedKeyMaterial);
        const check = checkKeyMaterial(state.key.keySpec as KeySpec, material);
        unwrap = { outcome: 'unwrapped', keyMaterialId: computeKeyMaterialId(keyId, material), materialProblem: check.ok ? undefined : check.reason };
      } catch {
        unwrap = { outcome: 'undecryptable' };
      } finally {
        opened.wrappingPrivateKeyDer.fill(0);
      }
    }
    const token: ImportTokenFacts | undefined = opened ? {
      importTokenId: opened.claims.tokenId,
      keyArn: opened.claims.keyArn,
      wrappingAlgorithm: opened.claims.wrappingAlgorithm,
      wrappingKeySpec: opened.claims.wrappingKeySpec,
      parametersValidTo: opened.claims.parametersValidTo,
    } : undefined;
    const command: ImportKeyMaterialCommand = {
      kind: 'ImportKeyMaterial',
      keyArn: arn,
      token,
      unwrap,
      expirationModel: input.expirationModel,
      validTo: input.validTo,
      importType: input.importType,
      keyMaterialDescription: input.keyMaterialDescription,
      keyMaterialId: input.keyMaterialId,
      // Passed in, not added by the beforeAppend hook: the decider builds the whole event, and the vault seals
      // under this id (fixed for its lifetime), so the event says what the vault did without amending a decision.
      sealedUnderMasterKeyId: this.vault.masterKeyId,
    };
    let stored: string | undefined;
    try {
      const { decision, revision } = await this.executor.execute(keyId, command, ctx, {
        // The material reaches the vault before the event that says it was imported.
        beforeAppend: async (d, firstRevision) => {
          const index = d.events.findIndex((e) => e.type === KeyEventTypes.KeyMaterialImported);
          if (material && index >= 0) {
            stored = d.keyMaterialId!;
            await this.vault.put(keyId, stored, material, firstRevision + index);
          }
        },
      });
      return { keyArn: arn, keyMaterialId: decision.keyMaterialId, revision };
    } catch (error) {
      if (stored !== undefined) await this.takeBackUnimported(keyId, stored);
      throw error;
    } finally {
      material?.fill(0);
    }
  }

  /**
   * The import stored its material, then did not end with it imported: an append met a concurrent writer and
   * the re-decided command was refused (or the retries ran out, or the append failed). Remove the sealed copy
   * now rather than at the next start (VaultReconciler), but never a row another writer legitimately stored:
   *
   * - The key is read AFTER the failure, at revision R. If the log says this material is imported, the row is
   *   legitimate (ours was a copy of the same bytes, as the id is a MAC of key id and material): keep it.
   * - Otherwise `shred(.., R + 1)` removes only rows stored at a revision <= R. A row at revision v <= R is
   *   never legitimate here: its event would be at v, within what was just read, and the log says the
   *   material is not held. Our own append, if it ever lands, lands at the revision we stored with; if that is
   *   <= R it can no longer land (the stream is past it), and if it is > R the row is not touched.
   * - A writer importing the same material concurrently decides against R or later, so it stores at R + 1 or
   *   later, which this shred does not touch; a writer that stored earlier cannot append anymore and takes
   *   back its own row the same way. A later delete or expiry shreds by its own revision, as always.
   * Never throws: the caller gets the original error; a failure here leaves the row to the reconciler.
   */
  private async takeBackUnimported(keyId: string, keyMaterialId: string): Promise<void> {
    try {
      const { state, revision } = await this.executor.load(keyId);
      const held = state.materials.some((m) => m.keyMaterialId === keyMaterialId && m.importState === 'IMPORTED');
      if (!held) await this.vault.shred(keyId, keyMaterialId, revision + 1);
    } catch (error) {
      this.logger.error({ msg: 'could not remove the material of a refused import from the vault; it is removed at the next start', keyId, keyMaterialId, error: (error as Error).message });
    }
  }
}
