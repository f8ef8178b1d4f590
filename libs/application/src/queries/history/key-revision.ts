import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { RequestScope } from '@keyledger/domain';
import type { EventStore } from '@keyledger/event-store';
import { EVENT_STORE, PROJECTION_PROGRESS, ProjectionProgress } from '../../ports';
import { readKeyStream } from './key-stream';

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
 * newer than the representation it labels, and a stale one only costs the client a 412.
 */
@QueryHandler(GetKeyRevision)
export class GetKeyRevisionHandler implements IQueryHandler<GetKeyRevision, KeyRevision> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTION_PROGRESS) private readonly progress: ProjectionProgress,
  ) {}

  async execute({ scope, keyId }: GetKeyRevision): Promise<KeyRevision> {
    const stream = await readKeyStream(this.store, scope, keyId);
    const last = stream.events[stream.events.length - 1];
    await this.progress.waitForPosition(last.position, CATCH_UP_TIMEOUT_MS);
    return { keyId: stream.keyId, revision: last.revision };
  }
}
