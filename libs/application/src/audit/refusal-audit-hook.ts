import { Injectable, OnModuleInit } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { RefusalRecorder } from './refusal-recorder';

/**
 * The one place refusals are caught: every command sent through the CommandBus (by the AWS JSON endpoint, the
 * REST API, or anything added later) passes here. A command that fails with a refusal worth auditing is
 * recorded before the error goes on, unchanged, to the caller. Hooking the bus rather than each handler also
 * catches refusals decided before the executor runs (a malformed or foreign key ARN, GetParametersForImport's
 * dry run).
 */
@Injectable()
export class RefusalAuditHook implements OnModuleInit {
  constructor(
    private readonly commands: CommandBus,
    private readonly recorder: RefusalRecorder,
  ) {}

  onModuleInit(): void {
    const execute = this.commands.execute.bind(this.commands) as (command: object, context?: unknown) => Promise<unknown>;
    const recorder = this.recorder;
    const audited = async (command: object, context?: unknown): Promise<unknown> => {
      try {
        return await execute(command, context);
      } catch (error) {
        await recorder.recordIfRefused(command, error);
        throw error;
      }
    };
    this.commands.execute = audited as CommandBus['execute'];
  }
}
