import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditEventTypes } from '@keyledger/audit';
import { KeyEventTypes, keyStreamId, NO_STREAM_REVISION, toIso } from '@keyledger/domain';
import { EventStore, JsonObject, WrongExpectedRevisionError } from '@keyledger/event-store';
import { CLOCK, Clock, EVENT_STORE } from '../ports';
import { eventMetadata } from '../request-context';
import { describeRefusal, RefusalToRecord, withKeyOwner } from './refusal-description';
import { refusalFactsOf } from './refusal-facts';

/** Appends to a refusal stream are retried this many times when another writer appended first. */
const MAX_ATTEMPTS = 8;
/** Refusal streams whose revision is remembered, so repeated refusals about one key need no read. */
const MAX_REMEMBERED_STREAMS = 10_000;
/** Key owners remembered (a key's account never changes), so repeated refusals about one key need no read. */
const MAX_REMEMBERED_OWNERS = 10_000;

/**
 * Records refused security-relevant requests as `RequestRefused.v1` in the audit stream of the key they named
 * (`kms-refusals-<keyId>`), never in the key's own stream: a refusal changes no key's revision. Appends with
 * optimistic concurrency like every writer: the revision last seen (remembered, or read), retried on conflict.
 */
@Injectable()
export class RefusalRecorder {
  private readonly logger = new Logger(RefusalRecorder.name);
  private readonly revisions = new Map<string, number>();
  private readonly owners = new Map<string, string>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Records the refusal if the command failed with one the audit trail keeps. Never throws: the caller must get
   * its own error, so a failure to record is logged instead (with no request data beyond ids and names).
   */
  async recordIfRefused(command: unknown, error: unknown): Promise<void> {
    let refusal: RefusalToRecord | undefined;
    try {
      refusal = describeRefusal(command, error, refusalFactsOf(error));
      if (refusal?.data.keyId !== undefined) refusal = withKeyOwner(refusal, await this.ownerOrUndefined(refusal));
      if (refusal) await this.append(refusal);
    } catch (failure) {
      this.logger.error({
        msg: 'could not record a refused request in the audit trail',
        requestId: refusal?.ctx.requestId,
        operation: refusal?.data.operation,
        streamId: refusal?.streamId,
        errorType: refusal?.data.errorType,
        error: (failure as Error).message,
      });
    }
  }

  private async append({ streamId, ctx, data }: RefusalToRecord): Promise<void> {
    const event = {
      type: AuditEventTypes.RequestRefused,
      data: data as unknown as JsonObject,
      metadata: eventMetadata(ctx, toIso(this.clock.now())) as unknown as JsonObject,
    };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const expected = this.revisions.get(streamId) ?? (await this.currentRevision(streamId));
      try {
        const appended = await this.store.appendToStream(streamId, [event], expected);
        this.remember(streamId, appended.nextExpectedRevision);
        return;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        this.revisions.delete(streamId);
      }
    }
    throw new Error(`${MAX_ATTEMPTS} appends to ${streamId} in a row met a concurrent writer`);
  }

  /** The owner of the key a refusal names; a failed read is logged and the refusal is still recorded (for the caller's account). */
  private async ownerOrUndefined(refusal: RefusalToRecord): Promise<string | undefined> {
    try {
      return await this.ownerOf(refusal.data.keyId!);
    } catch (failure) {
      this.logger.warn({ msg: "could not read the owner of a refused request's key", requestId: refusal.ctx.requestId, keyId: refusal.data.keyId, error: (failure as Error).message });
      return undefined;
    }
  }

  /**
   * The account of the key `keyId`, from its KeyCreated event; undefined when no such key exists. Read from the
   * log (not from the refusal facts) because refusals of another account's key ARN are decided before the
   * executor reads the key. Only found owners are remembered: a key id probed before it exists stays unknown.
   */
  private async ownerOf(keyId: string): Promise<string | undefined> {
    const remembered = this.owners.get(keyId);
    if (remembered !== undefined) return remembered;
    const [first] = await this.store.readStream(keyStreamId(keyId));
    const owner = first?.type === KeyEventTypes.KeyCreated ? first.data.accountId : undefined;
    if (typeof owner !== 'string') return undefined;
    this.owners.set(keyId, owner);
    if (this.owners.size > MAX_REMEMBERED_OWNERS) this.owners.delete(this.owners.keys().next().value!);
    return owner;
  }

  private async currentRevision(streamId: string): Promise<number> {
    const events = await this.store.readStream(streamId);
    return events.length === 0 ? NO_STREAM_REVISION : events[events.length - 1].revision;
  }

  private remember(streamId: string, revision: number): void {
    this.revisions.delete(streamId);
    this.revisions.set(streamId, revision);
    if (this.revisions.size > MAX_REMEMBERED_STREAMS) this.revisions.delete(this.revisions.keys().next().value!);
  }
}
