import { Inject, Injectable, Logger } from '@nestjs/common';
import { AliasEvent, AliasState, aliasStreamId, KmsError, RequestScope, toIso } from '@keyledger/domain';
import { EventStore, JsonObject, WrongExpectedRevisionError } from '@keyledger/event-store';
import { KeyResolver } from '../key-resolution';
import { CLOCK, Clock, EVENT_STORE, PROJECTION_PROGRESS, ProjectionProgress } from '../ports';
import { eventMetadata, RequestContext } from '../request-context';

const MAX_ATTEMPTS = 8;
const READ_YOUR_WRITES_TIMEOUT_MS = 5000;

/**
 * Load → decide → append for alias streams, like the key executor: the append names the revision read, so two
 * instances creating the same alias at once cannot both succeed; the loser re-decides and is refused.
 */
@Injectable()
export class AliasCommandExecutor {
  private readonly logger = new Logger(AliasCommandExecutor.name);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PROJECTION_PROGRESS) private readonly progress: ProjectionProgress,
    private readonly resolver: KeyResolver,
  ) {}

  async execute(
    scope: RequestScope,
    aliasName: string,
    decide: (state: AliasState | undefined, now: number) => AliasEvent[],
    ctx: RequestContext,
  ): Promise<AliasEvent[]> {
    const streamId = aliasStreamId(scope.accountId, scope.region, aliasName);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const { state, revision } = await this.resolver.alias(scope, aliasName);
      const now = this.clock.now();
      const events = decide(state, now);
      if (events.length === 0) return events;
      const metadata = eventMetadata(ctx, toIso(now)) as unknown as JsonObject;
      try {
        const appended = await this.store.appendToStream(streamId, events.map((e) => ({ type: e.type, data: e.data as unknown as JsonObject, metadata })), revision);
        if (!(await this.progress.waitForPosition(appended.position, READ_YOUR_WRITES_TIMEOUT_MS))) {
          this.logger.warn({ msg: 'read models lag behind a committed alias write', streamId, position: appended.position });
        }
        return events;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
      }
    }
    throw new KmsError('KMSInternalException', 'The request could not be completed because the alias is being changed concurrently. Retry the request.');
  }
}
