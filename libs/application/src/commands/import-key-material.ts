import { Inject } from '@nestjs/common';
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
    };
    try {
      const { decision, revision } = await this.executor.execute(keyId, command, ctx, {
        // The material reaches the vault before the event that says it was imported.
        beforeAppend: async (d, firstRevision) => {
          const index = d.events.findIndex((e) => e.type === KeyEventTypes.KeyMaterialImported);
          if (material && index >= 0) await this.vault.put(keyId, d.keyMaterialId!, material, firstRevision + index);
        },
      });
      return { keyArn: arn, keyMaterialId: decision.keyMaterialId, revision };
    } finally {
      material?.fill(0);
    }
  }
}
