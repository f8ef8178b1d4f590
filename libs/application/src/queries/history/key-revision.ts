import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { RequestScope } from '@keyledger/domain';
import { KeyCommandExecutor } from '../../key-command-executor';
import { PROJECTION_PROGRESS, ProjectionProgress } from '../../ports';
import { loadKeyInScope } from './key-stream';

/** How long to wait for the read models to include the revision before answering anyway. */
const CATCH_UP_TIMEOUT_MS = 5000;

export class GetKeyRevision {
  constructor(
    readonly scope: RequestScope,
    readonly keyId: string,
  ) {}
}

export interface KeyRevision {
  keyId: string;
  /** 0-based revision of the key's stream. */
  revision: number;
}

/**
 * The key's current stream revision (the REST ETag). It returns once the read models include that revision,
 * so a DescribeKey issued afterwards shows this revision or a later one: an ETag obtained this way is never
 * newer than the representation it labels, and a stale one only costs the client a 412. The revision comes
 * from the executor's cached state (one indexed read of what is new), not from reading the stream.
 */
@QueryHandler(GetKeyRevision)
export class GetKeyRevisionHandler implements IQueryHandler<GetKeyRevision, KeyRevision> {
  constructor(
    private readonly keys: KeyCommandExecutor,
    @Inject(PROJECTION_PROGRESS) private readonly progress: ProjectionProgress,
  ) {}

  async execute({ scope, keyId: keyIdInput }: GetKeyRevision): Promise<KeyRevision> {
    const { keyId, revision, position } = await loadKeyInScope(this.keys, scope, keyIdInput);
    await this.progress.waitForPosition(position, CATCH_UP_TIMEOUT_MS);
    return { keyId, revision };
  }
}
