import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  AliasEvent,
  effectiveState,
  foldAlias,
  foldEvents,
  initialState,
  isAliasEventType,
  keyFamily,
  KeyEventTypes,
  toKeyMetadata,
  type KeyMetadata,
  type KeyState,
  type Tag,
} from '@keyledger/domain';
import type { RecordedEvent } from '@keyledger/event-store';
import { eventTime } from '../audit/audit-row';
import { RecordedSeal, sealRecordedBy, sealedUnderAt } from '../audit/master-key-seals';
import { CliError } from '../cli-error';
// The application library's one place that turns stored events into domain events (and would upcast old
// versions), imported on its own: its index loads NestJS and every handler, which would triple the start-up time.
import { toKeyEvents } from '../../../../libs/application/src/stored-events';

export interface KeyStateAt {
  /** The moment the state is evaluated at (epoch ms): material past its ValidTo at that moment counts as gone. */
  asOf: number;
  /** The last revision of the stream folded in. */
  revision: number;
  metadata: KeyMetadata;
  /** The folded key, as the service sees it at `asOf` (expired material already counted as gone). */
  state: KeyState;
  /** Once deleted: how many key materials KeyDeleted shredded. */
  shreddedKeyMaterials?: number;
  /** By material id: the master key the event that brought it into the vault names (the latest such event). */
  seals: Record<string, RecordedSeal>;
}

/** How many events `state` reads from the log at once; the event loop runs between pages. */
export const STATE_PAGE_SIZE = 500;

/** Reads `maxCount` events of the key's stream from `fromRevision` on (fewer at its end). */
export type StreamPageReader = (fromRevision: number, maxCount: number) => readonly RecordedEvent[] | Promise<readonly RecordedEvent[]>;

/**
 * The key as it was at `asOf` (and/or right after `revision`): folds the prefix of its stream that had happened
 * by then with the same `evolve` as the service, and describes it with the same `toKeyMetadata` as DescribeKey.
 * With only a revision, the state is evaluated at the time of that event.
 */
export function keyStateAt(keyId: string, stream: readonly RecordedEvent[], bound: { asOf?: number; revision?: number }): KeyStateAt {
  const fold = new PrefixFold(bound);
  fold.add(stream);
  return fold.result(keyId);
}

/**
 * keyStateAt, reading the stream in pages and only up to the first event past the bound, with the event loop
 * running between pages: the cost is the history up to the moment asked for. Undefined if the stream is empty.
 */
export async function keyStateAtInPages(
  keyId: string,
  readPage: StreamPageReader,
  bound: { asOf?: number; revision?: number },
  pageSize = STATE_PAGE_SIZE,
): Promise<KeyStateAt | undefined> {
  const fold = new PrefixFold(bound);
  for (let fromRevision = 0; ; ) {
    const page = await readPage(fromRevision, pageSize);
    if (page.length === 0 && fromRevision === 0) return undefined;
    if (!fold.add(page) || page.length < pageSize) return fold.result(keyId);
    fromRevision = page[page.length - 1].revision + 1;
    await yieldToEventLoop();
  }
}

/** Folds a stream's events, page after page, up to the bound. */
class PrefixFold {
  private state = initialState();
  private first?: RecordedEvent;
  private last?: RecordedEvent;
  private deleted = false;
  private shredded?: number;
  private readonly seals: Record<string, RecordedSeal> = {};

  constructor(private readonly bound: { asOf?: number; revision?: number }) {}

  /** Folds the events within the bound; false once one past it was met (the rest cannot matter). */
  add(events: readonly RecordedEvent[]): boolean {
    const { asOf, revision } = this.bound;
    for (const event of events) {
      this.first ??= event;
      if ((asOf !== undefined && eventTime(event) > asOf) || (revision !== undefined && event.revision > revision)) return false;
      this.state = foldEvents(toKeyEvents([event]), this.state);
      const seal = sealRecordedBy(event);
      if (seal) this.seals[seal[0]] = seal[1];
      if (event.type === KeyEventTypes.KeyDeleted && !this.deleted) {
        this.deleted = true;
        this.shredded = Array.isArray(event.data.keyMaterialIds) ? event.data.keyMaterialIds.length : undefined;
      }
      this.last = event;
    }
    return true;
  }

  result(keyId: string): KeyStateAt {
    const { last, state, bound } = this;
    if (!last || !state.key) {
      const createdAt = this.first ? new Date(eventTime(this.first)).toISOString() : 'never';
      const when = bound.asOf !== undefined ? new Date(bound.asOf).toISOString() : `revision ${bound.revision}`;
      throw new CliError(`Key '${keyId}' did not exist yet at ${when} (created ${createdAt}).`);
    }
    const asOf = bound.asOf ?? eventTime(last);
    return {
      asOf,
      revision: last.revision,
      metadata: toKeyMetadata(state, asOf),
      state: effectiveState(state, asOf),
      ...(this.shredded !== undefined && { shreddedKeyMaterials: this.shredded }),
      seals: { ...this.seals },
    };
  }
}

/** KeyState for a key that was deleted: not an AWS value (DescribeKey then answers NotFoundException). */
export const DELETED_KEY_STATE = 'Deleted';

/** GetKeyRotationStatus's answer (timestamps in epoch seconds, as on the wire and in KeyMetadata). */
export interface RotationStatusView {
  KeyRotationEnabled: boolean;
  RotationPeriodInDays?: number;
  NextRotationDate?: number;
  /** Keyledger's count of RotateKeyOnDemand calls so far (AWS allows 25 per key). */
  OnDemandRotations: number;
}

/** One key material, as ListKeyRotations with IncludeKeyMaterial ALL_KEY_MATERIAL lists it. */
export interface KeyMaterialView {
  KeyMaterialId: string;
  KeyMaterialState: string;
  ImportState?: string;
  RotationType?: string;
  RotationDate?: number;
  /** The master key the material is sealed under at that moment, from its key event and any later re-seal (absent: not recorded). */
  SealedUnderMasterKeyId?: string;
}

/** What `state` prints: KeyMetadata as DescribeKey answers it, plus the key's settings DescribeKey does not show. */
export interface KeyStateView {
  AsOf: string;
  Revision: number;
  KeyMetadata: KeyMetadata;
  /** ListResourceTags' Tags, in the order they were first added. */
  Tags: Tag[];
  /** The aliases pointing at the key at that moment (from the alias streams), by name. */
  Aliases: string[];
  KeyRotationStatus: RotationStatusView;
  /** Symmetric keys: every material of the key, first material first (asymmetric and HMAC keys have one, unnamed). */
  KeyMaterials?: KeyMaterialView[];
  /** Asymmetric and HMAC keys: the master key their one material is sealed under (as KeyMaterialView's). */
  KeyMaterialSealedUnderMasterKeyId?: string;
  /** Present once the key was deleted: when, and how much key material was shredded. */
  Deleted?: { DeletionDate: string; KeyMaterialsShredded: number };
}

const seconds = (ms: number): number => ms / 1000;
const withSealedUnder = (id: string | undefined) => (id === undefined ? {} : { SealedUnderMasterKeyId: id });

/** The names of the aliases that point at the key at `asOf`, folding each alias stream up to then. */
export function aliasesAt(keyId: string, aliasEvents: Iterable<RecordedEvent>, asOf: number): string[] {
  const streams = new Map<string, AliasEvent[]>();
  for (const event of aliasEvents) {
    if (!isAliasEventType(event.type) || eventTime(event) > asOf) continue;
    const events = streams.get(event.streamId) ?? [];
    events.push({ type: event.type, data: event.data } as unknown as AliasEvent);
    streams.set(event.streamId, events);
  }
  const names: string[] = [];
  for (const events of streams.values()) {
    const alias = foldAlias(events);
    if (alias?.target.keyId === keyId) names.push(alias.aliasName);
  }
  return names.sort();
}

const rank = (m: KeyState['materials'][number]): number => (m.materialState === 'PENDING_ROTATION' ? Number.MAX_SAFE_INTEGER : (m.rotationDate ?? 0));

/**
 * The whole view of a key at a moment; `aliasEvents` are the alias streams' events (any order within a stream is kept),
 * `masterKeyEvents` the master key stream's (its re-seals).
 */
export function keyStateView(at: KeyStateAt, aliasEvents: Iterable<RecordedEvent>, masterKeyEvents: readonly RecordedEvent[] = []): KeyStateView {
  const { state } = at;
  const key = state.key!;
  // Only material the vault holds at that moment is sealed under anything (deleted or expired material is shredded).
  const sealedUnder = (m: KeyState['materials'][number]) =>
    m.importState === 'IMPORTED' && state.deletedAt === undefined
      ? sealedUnderAt(at.seals[m.keyMaterialId], { keyId: key.keyId, keyMaterialId: m.keyMaterialId }, masterKeyEvents, at.asOf)
      : undefined;
  const metadata: KeyMetadata = { ...at.metadata };
  if (state.deletedAt !== undefined) {
    metadata.KeyState = DELETED_KEY_STATE;
    metadata.Enabled = false;
    metadata.DeletionDate = seconds(state.deletedAt);
  }
  // A key pending deletion reads "not enabled" and gets its setting back when the deletion is canceled (as the service).
  const rotating = state.rotation !== undefined && state.deletion === undefined && state.deletedAt === undefined;
  const view: KeyStateView = {
    AsOf: new Date(at.asOf).toISOString(),
    Revision: at.revision,
    KeyMetadata: metadata,
    Tags: state.tags ?? [],
    Aliases: aliasesAt(key.keyId, aliasEvents, at.asOf),
    KeyRotationStatus: {
      KeyRotationEnabled: rotating,
      ...(rotating && { RotationPeriodInDays: state.rotation!.rotationPeriodInDays, NextRotationDate: seconds(state.rotation!.nextRotationDate) }),
      OnDemandRotations: state.onDemandRotations ?? 0,
    },
  };
  if (keyFamily(key.keySpec) === 'SYMMETRIC' && state.materials.length > 0) {
    view.KeyMaterials = [...state.materials]
      .sort((a, b) => rank(a) - rank(b))
      .map((m) => ({
        KeyMaterialId: m.keyMaterialId,
        KeyMaterialState: m.materialState,
        ...(key.origin === 'EXTERNAL' && { ImportState: m.importState }),
        ...(m.rotationType !== undefined && { RotationType: m.rotationType }),
        ...(m.rotationDate !== undefined && { RotationDate: seconds(m.rotationDate) }),
        ...withSealedUnder(sealedUnder(m)),
      }));
  } else if (state.materials.length > 0) {
    const sealed = sealedUnder(state.materials[0]);
    if (sealed !== undefined) view.KeyMaterialSealedUnderMasterKeyId = sealed;
  }
  if (state.deletedAt !== undefined) {
    view.Deleted = { DeletionDate: new Date(state.deletedAt).toISOString(), KeyMaterialsShredded: at.shreddedKeyMaterials ?? 0 };
  }
  return view;
}
