import type { EventStoreDBClient } from '@eventstore/db-client';
import { MaterialSealer, sealedMaterialMasterKeyId } from '@keyledger/crypto';
import {
  dbClient,
  deadlineOfConnectionString,
  DEFAULT_STORE_TIMEOUT_MS,
  DEFAULT_VAULT_STREAM_PREFIX,
  keepOnlyLatestEvent,
  StoreCalls,
  readLatestEvent,
  scanAll,
  StreamNamespace,
  type LatestEvent,
} from '@keyledger/event-store';
import { MaterialVault } from '../ports';
import { MasterKeyMismatchError, type MasterKeyResealReport } from './sqlite-material-vault';

export const MATERIAL_SEALED = 'KeyMaterialSealed.v1';
/** Carries no secret: it exists so that a deleted stream's last event, which a scavenge keeps, is harmless. */
export const MATERIAL_SHREDDED = 'KeyMaterialShredded.v1';

/** Optimistic-concurrency retries before giving up on a (key, material) another instance keeps changing. */
const MAX_ATTEMPTS = 5;

/** What a re-seal did. No WAL here: superseded blobs stay in the log until a scavenge (see the class comment). */
export type EventStoreDbResealReport = Omit<MasterKeyResealReport, 'walTruncated'>;

interface SealedMaterialData {
  keyId: string;
  keyMaterialId: string;
  revision: number;
  /** base64 of MaterialSealer's blob (AES-256-GCM under the master key, bound to key and material id). */
  sealed: string;
}

interface ShreddedMaterialData {
  keyId: string;
  keyMaterialId: string;
  revision: number;
}

export interface EventStoreDbMaterialVaultOptions {
  connectionString: string;
  /** A client shared with this process's other EventStoreDB adapters; close() then leaves it open for its owner. */
  client?: EventStoreDBClient;
  sealer: MaterialSealer;
  /** Default `keyledger-vault-`; must not overlap the event log's prefix. */
  streamPrefix?: string;
}

/**
 * The material vault on EventStoreDB, so every Keyledger instance on a cluster shares key material. One
 * stream per (key, material) holds the material sealed under the master key (the same sealing and context
 * as the SQLite vault); `get` reads the stream's latest event.
 *
 * Shredding: EventStoreDB never erases in place. A deleted stream's events stay in the log (and in `$all`,
 * backups and replicas) until a scavenge, and a scavenge always keeps a stream's last event. So `shred`
 * first appends a KeyMaterialShredded marker (no secret), then soft-deletes the stream; the streams also
 * carry `$maxCount: 1`. After the next scavenge on every node only the marker remains. Until then the sealed
 * blob is still on disk, protected by the master key it was sealed under: rotating that key away
 * (`resealUnderCurrentMasterKey`, then destroying the old key) makes it unrecoverable too. See docs/eventstoredb.md.
 */
export class EventStoreDbMaterialVault implements MaterialVault {
  private readonly namespace: StreamNamespace;
  /** Every round trip bounded, as in the event log's adapter: a hung server fails calls, never hangs them. */
  private readonly calls: StoreCalls;

  private constructor(
    private readonly client: EventStoreDBClient,
    private readonly ownsClient: boolean,
    private readonly sealer: MaterialSealer,
    streamPrefix: string,
    timeoutMs: number,
  ) {
    this.namespace = new StreamNamespace(streamPrefix);
    this.calls = new StoreCalls(timeoutMs);
  }

  get masterKeyId(): string {
    return this.sealer.masterKeyId;
  }

  private readonly readPage = <T>(what: string, open: () => AsyncIterable<T>) => this.calls.read(what, open);
  private readonly write = <T>(what: string, call: () => Promise<T>) => this.calls.run(what, call, { write: true });

  /** Connects and fails closed if the vault holds material sealed under another master key. */
  static async open(options: EventStoreDbMaterialVaultOptions): Promise<EventStoreDbMaterialVault> {
    const client = options.client ?? dbClient().EventStoreDBClient.connectionString(options.connectionString);
    const timeoutMs = deadlineOfConnectionString(options.connectionString) ?? DEFAULT_STORE_TIMEOUT_MS;
    const vault = new EventStoreDbMaterialVault(client, options.client === undefined, options.sealer, options.streamPrefix ?? DEFAULT_VAULT_STREAM_PREFIX, timeoutMs);
    try {
      await vault.refuseForeignMasterKeys();
    } catch (error) {
      await vault.close();
      throw error;
    }
    return vault;
  }

  async put(keyId: string, keyMaterialId: string, material: Buffer, revision: number): Promise<void> {
    const stream = this.streamOf(keyId, keyMaterialId);
    const data: SealedMaterialData = {
      keyId,
      keyMaterialId,
      revision,
      sealed: this.sealer.seal(material, materialContext(keyId, keyMaterialId)).toString('base64'),
    };
    await this.retryOnConflict(async () => {
      const latest = await readLatestEvent(this.client, stream, this.readPage);
      // As in the SQLite vault, an older put never overwrites material stored by a later revision.
      if (latest?.type === MATERIAL_SEALED && sealedData(latest).revision > revision) return;
      if (!latest) await keepOnlyLatestEvent(this.client, stream, this.write);
      // A soft-deleted stream reads as missing; NO_STREAM recreates it, numbering where it left off.
      await this.write('appendToStream', () =>
        this.client.appendToStream(stream, dbClient().jsonEvent({ type: MATERIAL_SEALED, data: { ...data } }), {
          expectedRevision: latest ? latest.revision : dbClient().NO_STREAM,
        }),
      );
    });
  }

  async get(keyId: string, keyMaterialId: string): Promise<Buffer | undefined> {
    const latest = await readLatestEvent(this.client, this.streamOf(keyId, keyMaterialId), this.readPage);
    if (latest?.type !== MATERIAL_SEALED) return undefined;
    return this.sealer.open(Buffer.from(sealedData(latest).sealed, 'base64'), materialContext(keyId, keyMaterialId));
  }

  /** Removes the material if it was stored by an event before `revision`. */
  async shred(keyId: string, keyMaterialId: string, revision: number): Promise<void> {
    const stream = this.streamOf(keyId, keyMaterialId);
    await this.retryOnConflict(async () => {
      const latest = await readLatestEvent(this.client, stream, this.readPage);
      if (!latest) return; // never stored, or already shredded and deleted
      let lastRevision = latest.revision;
      if (latest.type === MATERIAL_SEALED) {
        if (sealedData(latest).revision >= revision) return; // a later import brought it back
        const marker: ShreddedMaterialData = { keyId, keyMaterialId, revision };
        const appended = await this.write('appendToStream', () =>
          this.client.appendToStream(stream, dbClient().jsonEvent({ type: MATERIAL_SHREDDED, data: { ...marker } }), { expectedRevision: lastRevision }),
        );
        lastRevision = appended.nextExpectedRevision;
      }
      // Also completes a shred that stopped between the marker and the delete.
      await this.write('deleteStream', () => this.client.deleteStream(stream, { expectedRevision: lastRevision }));
    });
  }

  /** Every (key, material) the vault holds. Scans `$all`, so it costs a pass over the log: start-up only. */
  async list(): Promise<Array<{ keyId: string; keyMaterialId: string; revision: number }>> {
    return (await this.heldMaterial()).map(({ keyId, keyMaterialId, revision }) => ({ keyId, keyMaterialId, revision }));
  }

  /** How many held materials are sealed under each master key id (a pass over the log). */
  async countByMasterKeyId(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const entry of await this.heldMaterial()) {
      const id = String(masterKeyIdOf(entry));
      counts[id] = (counts[id] ?? 0) + 1;
    }
    return counts;
  }

  /**
   * Master key rotation: appends every material held under a previous master key again, re-sealed under the
   * current one. The append expects the revision read, so a concurrent put or shred wins (a shred appends its
   * marker before deleting); a shredded or deleted stream is never written to. Material still under another key
   * afterwards is counted in `remaining` (run again). The superseded blobs stay in the log until a scavenge:
   * once the old master key is destroyed they cannot be opened.
   */
  async resealUnderCurrentMasterKey(): Promise<EventStoreDbResealReport> {
    const current = this.sealer.masterKeyId;
    const from = new Set<string>();
    const rewrapped: EventStoreDbResealReport['rewrapped'] = [];
    for (const entry of await this.heldMaterial()) {
      try {
        if (await this.reseal(entry.keyId, entry.keyMaterialId, from)) rewrapped.push({ keyId: entry.keyId, keyMaterialId: entry.keyMaterialId });
      } catch (error) {
        if (!isConflict(error)) throw error; // changed on every attempt: left for `remaining` and the next run
      }
    }
    const remaining = (await this.heldMaterial()).filter((entry) => masterKeyIdOf(entry) !== current).length;
    return { toMasterKeyId: current, fromMasterKeyIds: [...from].sort(), rewrapped, remaining };
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.dispose();
  }

  /** Re-seals one (key, material) if its latest event holds it under a previous master key; true if it did. */
  private async reseal(keyId: string, keyMaterialId: string, from: Set<string>): Promise<boolean> {
    const stream = this.streamOf(keyId, keyMaterialId);
    let resealed = false;
    await this.retryOnConflict(async () => {
      resealed = false;
      const latest = await readLatestEvent(this.client, stream, this.readPage);
      // Missing (deleted) or ending with the shred marker: nothing to re-seal, and nothing to bring back.
      if (latest?.type !== MATERIAL_SEALED) return;
      const data = sealedData(latest);
      const id = masterKeyIdOf(data);
      if (id === this.sealer.masterKeyId || !this.sealer.opens(id)) return;
      from.add(String(id));
      const context = materialContext(keyId, keyMaterialId);
      const material = this.sealer.open(Buffer.from(data.sealed, 'base64'), context);
      try {
        const next: SealedMaterialData = { ...data, sealed: this.sealer.seal(material, context).toString('base64') };
        await this.write('appendToStream', () =>
          this.client.appendToStream(stream, dbClient().jsonEvent({ type: MATERIAL_SEALED, data: { ...next } }), { expectedRevision: latest.revision }),
        );
        resealed = true;
      } finally {
        material.fill(0);
      }
    });
    return resealed;
  }

  private async heldMaterial(): Promise<SealedMaterialData[]> {
    const streams = new Set<string>();
    for await (const event of scanAll(this.client, dbClient().START, dbClient().FORWARDS, undefined, this.readPage)) {
      if (this.namespace.contains(event.streamId)) streams.add(event.streamId);
    }
    const held: SealedMaterialData[] = [];
    for (const stream of streams) {
      const latest = await readLatestEvent(this.client, stream, this.readPage);
      if (latest?.type === MATERIAL_SEALED) held.push(sealedData(latest));
    }
    return held;
  }

  /**
   * Fail closed at start-up: with the wrong master key every import would work and every use would fail.
   * Material sealed under a previous master key (during a rotation) is accepted: the sealer opens it.
   */
  private async refuseForeignMasterKeys(): Promise<void> {
    const foreign = new Set<string>();
    for (const entry of await this.heldMaterial()) {
      const id = masterKeyIdOf(entry);
      if (!this.sealer.opens(id)) foreign.add(String(id));
    }
    if (foreign.size > 0) {
      const previous = this.sealer.previousMasterKeyIds;
      throw new MasterKeyMismatchError(
        `The EventStoreDB material vault (streams '${this.namespace.prefix}*') holds key material sealed under master key(s) ${[...foreign].join(', ')}, but the configured master key is ${this.sealer.masterKeyId}${previous.length > 0 ? ` (previous: ${previous.join(', ')})` : ''}. Configure the master key this vault was created with.`,
      );
    }
  }

  /** Key and material ids are URI-encoded, so distinct pairs never share a stream. */
  private streamOf(keyId: string, keyMaterialId: string): string {
    return this.namespace.toServer(`${encodeURIComponent(keyId)}/${encodeURIComponent(keyMaterialId)}`);
  }

  private async retryOnConflict(attempt: () => Promise<void>): Promise<void> {
    for (let tries = 1; ; tries += 1) {
      try {
        return await attempt();
      } catch (error) {
        if (!isConflict(error) || tries >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}

/** The same AAD context as SqliteMaterialVault, so a blob opens only for its key and material. */
export function materialContext(keyId: string, keyMaterialId: string): string {
  return `kms-key/${keyId}/material/${keyMaterialId}`;
}

function isConflict(error: unknown): boolean {
  const { ErrorType, isCommandError } = dbClient();
  return error instanceof Error && isCommandError(error) && error.type === ErrorType.WRONG_EXPECTED_VERSION;
}

/** The master key id in the blob's header (null if the blob is not ours). */
function masterKeyIdOf(data: SealedMaterialData): string | null {
  return sealedMaterialMasterKeyId(Buffer.from(data.sealed, 'base64'));
}

function sealedData(event: LatestEvent): SealedMaterialData {
  return event.data as unknown as SealedMaterialData;
}
