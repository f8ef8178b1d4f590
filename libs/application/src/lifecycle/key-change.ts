import { Injectable } from '@nestjs/common';
import { ICommandHandler } from '@nestjs/cqrs';
import { Decision, keyArn, KeyCommand, KeyState } from '@keyledger/domain';
import { ExecutionHooks, KeyCommandExecutor } from '../key-command-executor';
import { keyIdOrThrow } from '../key-resolution';
import { RequestContext } from '../request-context';

/** A caller's change to one key: the key is named by id or ARN only (no lifecycle operation accepts aliases). */
export interface KeyChangeRequest<I extends { keyId: string } = { keyId: string }> {
  readonly ctx: RequestContext;
  readonly input: I;
}

export interface KeyChangeResult {
  keyId: string;
  keyArn: string;
  /** The key stream's revision after the change (the REST ETag). */
  revision: number;
  /** The key as the change left it (expired material shown as expired). */
  state: KeyState;
  decision: Decision;
}

/**
 * The shape every lifecycle handler shares: resolve the key, turn the request into the domain command, and let
 * the executor load, decide and append. Subclasses only say which command.
 */
@Injectable()
export abstract class KeyChangeHandler<C extends KeyChangeRequest> implements ICommandHandler<KeyChangeRequest, KeyChangeResult> {
  constructor(protected readonly executor: KeyCommandExecutor) {}

  protected abstract toCommand(request: C, keyArn: string): KeyCommand;

  async execute(request: C): Promise<KeyChangeResult> {
    const keyId = keyIdOrThrow(request.input.keyId, request.ctx, { allowAlias: false });
    return this.change(request, keyId, this.toCommand(request, keyArn(request.ctx, keyId)));
  }

  protected async change(request: C, keyId: string, command: KeyCommand, hooks?: ExecutionHooks): Promise<KeyChangeResult> {
    const { decision, revision, state } = await this.executor.execute(keyId, command, request.ctx, hooks);
    return { keyId, keyArn: keyArn(request.ctx, keyId), revision, state, decision };
  }
}
