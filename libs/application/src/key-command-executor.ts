import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  Decision,
  decide,
  effectiveState,
  foldEvents,
  initialState,
  KeyCommand,
  KeyEvent,
  keyArn,
  materialRemovedBy,
  KeyState,
  KmsError,
  KmsErrors,
  keyStreamId,
  NO_STREAM_REVISION,
  toIso,
  visibleKey,
} from '@keyledger/domain';
import { EventStore, JsonObject, RecordedEvent, WrongExpectedRevisionError } from '@keyledger/event-store';
import { noteRefusalFacts } from './audit/refusal-facts';
import { KEY_STATE_CACHE, KeyStateCache } from './key-state-cache';
import { CLOCK, Clock, EVENT_STORE, MATERIAL_VAULT, MaterialVault, PROJECTION_PROGRESS, ProjectionProgress } from './ports';
import { eventMetadata, RequestContext, serviceContext } from './request-context';
import { asStoredKeyEvents, toKeyEvents } from './stored-events';

/** Conflicting appends are re-decided this many times before giving up (decide is pure, so retrying is safe). */
const MAX_ATTEMPTS = 8;
/** How many events a load folds between pauses for the event loop (only a key not cached yet has more). */
const LOAD_PAGE_SIZE = 1000;
/** How long a command waits for the read models to include its write before answering anyway. */
const READ_YOUR_WRITES_TIMEOUT_MS = 5000;

export interface LoadedKey {
  /** Frozen: shared with the cache, never changed by anyone. */
  readonly state: KeyState;
  readonly revision: number;
  /** Global position of the stream's last event (0 when the stream does not exist). */
  readonly position: number;
}

/** The key changed since the revision the client named (REST: 412 Precondition Failed). */
export class StaleRevisionError extends Error {
  constructor(
    readonly keyId: string,
    readonly expectedRevision: number,
    readonly actualRevision: number,
  ) {
    super(`Key ${keyId} is at revision ${actualRevision}, not ${expectedRevision}.`);
    this.name = 'StaleRevisionError';
  }
}

export interface ExecutionResult {
  decision: Decision;
  /** The key stream's revision after the command (unchanged when nothing was appended). */
  revision: number;
  /** State after the command (at the decision time, expired material shown as expired). */
  state: KeyState;
  /** Global position of the last appended event (undefined when nothing was appended). */
  position?: number;
}

export interface ExecutionHooks {
  /** Runs after a successful decision and before the append (e.g. store material in the vault). */
  beforeAppend?(decision: Decision, firstRevision: number): Promise<void>;
  /**
   * false: answer as soon as the events are committed, without waiting for the read models to include them. Only
   * for commands whose events change nothing a read model answers about the key (GetParametersForImport).
   */
  readYourWrites?: boolean;
}

/**
 * The write-side pipeline: read the key's stream, fold it, decide, append with the revision read. A
 * conflicting append means someone else wrote first: the command is re-decided against the new state.
 *
 * Loading is flat in a key's history: folded states are cached (KeyStateCache), and a load asks the store only
 * for the events after the cached revision (one indexed range read, usually empty). Commands always ask the
 * store; a stale state can only cost a conflict and a retry, since every append names the revision its decision
 * was made on. Cryptographic uses (`loadForUse`) skip the read while the cache says the state is current.
 */
@Injectable()
export class KeyCommandExecutor {
  private readonly logger = new Logger(KeyCommandExecutor.name);
  private readonly states: KeyStateCache;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(MATERIAL_VAULT) private readonly vault: MaterialVault,
    @Inject(PROJECTION_PROGRESS) private readonly progress: ProjectionProgress,
    @Optional() @Inject(KEY_STATE_CACHE) states?: KeyStateCache,
  ) {
    this.states = states ?? new KeyStateCache();
  }

  /**
   * The key's state for a cryptographic use: the cached state while it is current (this instance's own writes
   * replace it as they commit; another instance's are seen once the subscription delivers them, or at the latest
   * after KeyStateCache.trustMs), otherwise `load`. Expiry is not part of this: the use checks it against the clock.
   */
  loadForUse(keyId: string): Promise<LoadedKey> {
    const current = this.states.current(keyId);
    return current ? Promise.resolve(current) : this.load(keyId);
  }

  /**
   * The key's state as of the store's last event of its stream. A key not cached yet is read in pages, with the
   * event loop running between them, so a long history does not hold up other requests.
   */
  async load(keyId: string): Promise<LoadedKey> {
    const streamId = keyStreamId(keyId);
    let loaded: LoadedKey | undefined = this.states.get(keyId);
    for (;;) {
      const fromRevision = loaded ? loaded.revision + 1 : 0;
      const readAt = this.states.now();
      const recorded = await this.store.readStream(streamId, { fromRevision, maxCount: LOAD_PAGE_SIZE });
      if (recorded.length === 0) {
        if (!loaded) return { state: initialState(), revision: NO_STREAM_REVISION, position: 0 };
        this.states.set(keyId, loaded, readAt);
        return loaded;
      }
      if (loaded && recorded[0].revision !== fromRevision) {
        // Not the continuation of what was cached (cannot happen with a well-behaved store): start over from the store.
        this.logger.warn({ msg: 'key stream does not continue the cached state; reading it from the start', keyId, cachedRevision: loaded.revision });
        loaded = undefined;
        continue;
      }
      const complete = recorded.length < LOAD_PAGE_SIZE;
      loaded = this.fold(keyId, loaded, recorded, complete ? readAt : undefined);
      if (complete) return loaded;
      await yieldToEventLoop();
    }
  }

  /**
   * A command the service issues on its own (the maintenance job): decided in the key's own account and region,
   * attributed to `invokedBy`. Returns how many events were recorded (0: nothing due, or another instance did it).
   */
  async executeAsService(
    keyId: string,
    invocation: { invokedBy: string; requestId: string; operation: string },
    command: (keyArn: string) => KeyCommand,
  ): Promise<number> {
    const { state } = await this.load(keyId);
    const key = state.key;
    if (!key) return 0;
    const ctx = serviceContext({ accountId: key.accountId, region: key.region }, invocation.invokedBy, invocation.requestId, invocation.operation);
    return (await this.execute(keyId, command(key.arn), ctx)).decision.events.length;
  }

  async execute(keyId: string, command: KeyCommand, ctx: RequestContext, hooks: ExecutionHooks = {}): Promise<ExecutionResult> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const { state, revision } = await this.load(keyId);
      if (ctx.expectedRevision !== undefined && ctx.expectedRevision !== revision) {
        // A key the caller cannot see is not found, whatever revision they name: a 412 would confirm it exists.
        if (command.kind !== 'CreateKey' && !visibleKey(state, keyArn(ctx, keyId))) throw KmsErrors.keyNotFound(keyArn(ctx, keyId));
        throw new StaleRevisionError(keyId, ctx.expectedRevision, revision);
      }
      const now = this.clock.now();
      const decision = decideNotingRefusal(keyId, command, state, revision, now);
      const after = effectiveState(foldEvents(decision.events, state), now);
      if (decision.events.length === 0) return { decision, state: after, revision };

      await hooks.beforeAppend?.(decision, revision + 1);
      const timestamp = toIso(now);
      const stored = decision.events.map(({ initiatedBy, ...event }) => ({
        type: event.type,
        data: event.data as unknown as JsonObject,
        metadata: eventMetadata(ctx, timestamp, initiatedBy) as unknown as JsonObject,
      }));
      try {
        const appended = await this.store.appendToStream(keyStreamId(keyId), stored, revision);
        // Exact as of this append (it named the revision it was decided on): the next use here sees it at once.
        const written = { state: foldEvents(asStoredKeyEvents(stored), state), revision: appended.nextExpectedRevision, position: appended.position };
        this.states.set(keyId, written, this.states.now());
        await this.shredRemovedMaterial(keyId, decision.events, revision + 1);
        if (hooks.readYourWrites !== false && !(await this.progress.waitForPosition(appended.position, READ_YOUR_WRITES_TIMEOUT_MS))) {
          this.logger.warn({ msg: 'read models lag behind a committed write', keyId, position: appended.position });
        }
        return { decision, state: after, revision: appended.nextExpectedRevision, position: appended.position };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        this.logger.debug({ msg: 'append conflict, re-deciding', keyId, attempt, operation: ctx.operation });
      }
    }
    throw new KmsError('KMSInternalException', 'The request could not be completed because the key is being changed concurrently. Retry the request.');
  }

  /** `readAt`: when the read that reached the stream's end began (undefined for a page of a longer read). */
  private fold(keyId: string, cached: LoadedKey | undefined, recorded: RecordedEvent[], readAt: number | undefined): LoadedKey {
    const last = recorded[recorded.length - 1];
    // foldEvents never changes the state it starts from (evolve returns new objects), so the cached one stays valid.
    const loaded = { state: foldEvents(toKeyEvents(recorded), cached?.state ?? initialState()), revision: last.revision, position: last.position };
    this.states.set(keyId, loaded, readAt);
    return loaded;
  }

  /** Deleted or expired material, and all material of a deleted key, is destroyed as soon as the log says so (crypto-shredding). */
  private async shredRemovedMaterial(keyId: string, events: KeyEvent[], firstRevision: number): Promise<void> {
    for (const [index, event] of events.entries()) {
      for (const keyMaterialId of materialRemovedBy(event)) await this.vault.shred(keyId, keyMaterialId, firstRevision + index);
    }
  }
}

/** A refusal leaves with what was decided against attached, for the audit trail (see audit/refusal-facts.ts). */
function decideNotingRefusal(keyId: string, command: KeyCommand, state: KeyState, revision: number, now: number): Decision {
  try {
    return decide(command, state, now);
  } catch (error) {
    noteRefusalFacts(error, { keyId, keyRevision: revision, command });
    throw error;
  }
}
