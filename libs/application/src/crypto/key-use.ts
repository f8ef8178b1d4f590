import type { KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { privateKeyObject } from '@keyledger/crypto';
import {
  isKmsError,
  keyArn,
  KeyAttributes,
  CryptoOperation,
  KeyState,
  KmsError,
  KmsErrors,
  MaterialRecord,
  requireUsableKey,
} from '@keyledger/domain';
import { KeyCommandExecutor } from '../key-command-executor';
import { KeyResolver } from '../key-resolution';
import { CLOCK, Clock, MATERIAL_VAULT, MaterialVault, USAGE_RECORDER, UsageRecorder } from '../ports';
import { RequestContext } from '../request-context';

export interface KeyUseRequest {
  /** A bare key id, already resolved in the caller's account and region. */
  keyId: string;
  operation: CryptoOperation;
  algorithm?: string;
  /** The material a ciphertext names (default: the key's current material). */
  keyMaterialId?: string;
  /** Recorded as a hash in the usage log, never as values. */
  encryptionContext?: Record<string, string>;
  /** DryRun: check everything, then refuse with DryRunOperationException instead of using the key. */
  dryRun?: boolean;
  /** Whether the use goes to the usage log (GetPublicKey is not one of AWS's tracked uses). */
  recordUse?: boolean;
}

export interface UsableKey {
  key: KeyAttributes;
  material: MaterialRecord;
  /** The unsealed material; zeroed as soon as the use returns. */
  bytes: Buffer;
  /** An asymmetric material's private key as a KeyObject (cached with the material where the vault caches it). */
  privateKey(): KeyObject;
}

/**
 * The one path by which key material is used: takes the key's state from its own stream through the executor's
 * cache (`loadForUse`; never a lagging read model, so a deletion or disable on this instance is never missed),
 * lets the domain's state and usage tables decide whether the use is allowed now (expiry against the clock),
 * unseals the material only for the use and zeroes it after, and records the use (or the refused attempt) in the
 * usage log.
 */
@Injectable()
export class KeyUse {
  constructor(
    private readonly executor: KeyCommandExecutor,
    @Inject(MATERIAL_VAULT) private readonly vault: MaterialVault,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(USAGE_RECORDER) private readonly usage: UsageRecorder,
    private readonly resolver: KeyResolver,
  ) {}

  /** The key a KeyId member names: key id, key ARN, alias name or alias ARN (every use accepts all four). */
  resolve(input: string, ctx: RequestContext): Promise<string> {
    return this.resolver.keyId(input, ctx, { allowAlias: true });
  }

  /**
   * The key's state for a use (also for choosing a path by key spec first, e.g. RSA or symmetric Decrypt): current
   * as of this instance's own writes, and of other instances' as far as its subscription has delivered them.
   */
  async state(keyId: string): Promise<KeyState> {
    return (await this.executor.loadForUse(keyId)).state;
  }

  /**
   * Checks that the use would be allowed now without unsealing anything (refusals are recorded as usual), for
   * work that should not be done for a refused caller. With `dryRun` it answers DryRunOperationException.
   */
  async authorize(ctx: RequestContext, request: KeyUseRequest): Promise<void> {
    try {
      await this.run(ctx, { ...request, dryRun: true }, () => undefined);
    } catch (error) {
      if (request.dryRun || !(isKmsError(error) && error.type === 'DryRunOperationException')) throw error;
    }
  }

  /** `loaded`: the key's state when the caller has just read it (so the stream is not read twice). */
  async run<T>(ctx: RequestContext, request: KeyUseRequest, use: (key: UsableKey) => T | Promise<T>, loaded?: KeyState): Promise<T> {
    const state = loaded ?? (await this.state(request.keyId));
    const arn = keyArn(ctx, request.keyId);
    const time = this.clock.now();
    let materialId: string | undefined;
    try {
      const { key, material } = requireUsableKey(
        state,
        { keyArn: arn, operation: request.operation, algorithm: request.algorithm, keyMaterialId: request.keyMaterialId },
        time,
      );
      materialId = material.keyMaterialId;
      if (request.dryRun) throw KmsErrors.dryRun();
      const bytes = await this.vault.get(key.keyId, material.keyMaterialId);
      if (!bytes) throw new KmsError('KMSInternalException', `Key material of ${key.arn} is not available.`);
      try {
        const privateKey = () => this.vault.privateKeyOf?.(key.keyId, material.keyMaterialId, bytes) ?? privateKeyObject(bytes);
        const result = await use({ key, material, bytes, privateKey });
        this.record(ctx, request, time, materialId, 'Succeeded');
        return result;
      } finally {
        bytes.fill(0);
      }
    } catch (error) {
      // Attempts on keys the caller can see are audited; a dry run is not a use.
      const refused = isKmsError(error) && error.type !== 'DryRunOperationException' && state.key?.arn === arn;
      if (refused) this.record(ctx, request, time, materialId, 'Refused', error.type);
      throw error;
    }
  }

  /**
   * Refuses a use for a reason found before the key's own checks (a ciphertext of another key, a parameter the key
   * can never serve): recorded in the usage log like any refused use when the caller can see the key, then thrown.
   * `loaded`: the key's state when the caller has just read it.
   */
  async refuse(ctx: RequestContext, request: KeyUseRequest, error: KmsError, loaded?: KeyState): Promise<never> {
    if (!request.dryRun) {
      const state = loaded ?? (await this.state(request.keyId));
      if (state.key?.arn === keyArn(ctx, request.keyId)) this.record(ctx, request, this.clock.now(), undefined, 'Refused', error.type);
    }
    throw error;
  }

  private record(ctx: RequestContext, request: KeyUseRequest, time: number, keyMaterialId: string | undefined, outcome: 'Succeeded' | 'Refused', errorType?: string): void {
    if (request.recordUse === false) return;
    this.usage.record({
      keyId: request.keyId,
      keyArn: keyArn(ctx, request.keyId),
      accountId: ctx.accountId,
      region: ctx.region,
      operation: ctx.operation,
      keyMaterialId,
      principal: ctx.principal,
      requestId: ctx.requestId,
      time,
      outcome,
      errorType,
      encryptionContext: request.encryptionContext,
    });
  }
}
