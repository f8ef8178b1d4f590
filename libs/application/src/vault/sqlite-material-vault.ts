import Database from 'better-sqlite3';
import { MaterialSealer, sealedMaterialMasterKeyId } from '@keyledger/crypto';
import { switchToWal } from '@keyledger/event-store';
import { MaterialVault } from '../ports';

/** How long a vault statement waits for another instance's lock. */
const VAULT_BUSY_TIMEOUT_MS = 5000;

/** How often a WAL truncation blocked by another reader is retried. */
const TRUNCATE_RETRY_MS = 100;

/** The vault holds material sealed under a master key other than the configured one. */
export class MasterKeyMismatchError extends Error {}

/** What `resealUnderCurrentMasterKey` did. */
export interface MasterKeyResealReport {
  /** The master key everything is now sealed under. */
  toMasterKeyId: string;
  /** The previous master keys whose rows were found (before re-sealing). */
  fromMasterKeyIds: string[];
  /** Rows re-sealed under the current key by this run. */
  rewrapped: Array<{ keyId: string; keyMaterialId: string }>;
  /** Rows still sealed under a key other than the current one afterwards (e.g. changed concurrently: run again). */
  remaining: number;
  /** Whether the WAL was checkpointed and truncated, so no page with an old blob is left in it. */
  walTruncated: boolean;
}

/**
 * The material vault on SQLite: each row is one key material sealed (AES-256-GCM) under the master key, bound
 * to its key id and material id. `secure_delete` overwrites deleted rows on disk and the WAL is checkpointed and
 * truncated after every shred, so shredding leaves no sealed copy behind, in free pages or in the WAL.
 */
export class SqliteMaterialVault implements MaterialVault {
  private readonly db: Database.Database;
  private readonly statements;
  private truncateRetry?: NodeJS.Timeout;

  constructor(
    filename: string,
    private readonly sealer: MaterialSealer,
  ) {
    this.db = new Database(filename);
    // busy_timeout first: the vault is shared by every instance on the data directory, which may open it at once.
    this.db.pragma(`busy_timeout = ${VAULT_BUSY_TIMEOUT_MS}`);
    switchToWal(this.db, VAULT_BUSY_TIMEOUT_MS);
    this.db.pragma('synchronous = FULL');
    this.db.pragma('secure_delete = ON');
    // 2 MiB page cache, SQLite's default (better-sqlite3's build sets 16 MiB per connection).
    this.db.pragma('cache_size = -2000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS sealed_materials (
      key_id TEXT NOT NULL,
      key_material_id TEXT NOT NULL,
      revision INTEGER NOT NULL,
      sealed BLOB NOT NULL,
      PRIMARY KEY (key_id, key_material_id)
    )`);
    this.statements = {
      upsert: this.db.prepare(`INSERT INTO sealed_materials (key_id, key_material_id, revision, sealed) VALUES (?, ?, ?, ?)
        ON CONFLICT (key_id, key_material_id) DO UPDATE SET revision = excluded.revision, sealed = excluded.sealed
        WHERE excluded.revision >= sealed_materials.revision`),
      get: this.db.prepare('SELECT sealed FROM sealed_materials WHERE key_id = ? AND key_material_id = ?'),
      shred: this.db.prepare('DELETE FROM sealed_materials WHERE key_id = ? AND key_material_id = ? AND revision < ?'),
      list: this.db.prepare('SELECT key_id AS keyId, key_material_id AS keyMaterialId, revision, sealed FROM sealed_materials'),
      // Compare-and-swap: a concurrent put or shred by a running service wins over a re-seal.
      reseal: this.db.prepare('UPDATE sealed_materials SET sealed = ? WHERE key_id = ? AND key_material_id = ? AND sealed = ?'),
    };
    this.refuseForeignMasterKeys();
  }

  get masterKeyId(): string {
    return this.sealer.masterKeyId;
  }

  /**
   * Fail closed at start-up: with the wrong master key every import would work and every use would fail. Rows
   * sealed under a previous master key (during a rotation) are accepted: the sealer opens them.
   */
  private refuseForeignMasterKeys(): void {
    const foreign = new Set<string>();
    for (const row of this.db.prepare('SELECT sealed FROM sealed_materials').iterate() as Iterable<{ sealed: Buffer }>) {
      const id = sealedMaterialMasterKeyId(row.sealed);
      if (!this.sealer.opens(id)) foreign.add(String(id));
    }
    if (foreign.size > 0) {
      this.db.close();
      throw new MasterKeyMismatchError(
        `The material vault holds key material sealed under master key(s) ${[...foreign].join(', ')}, but the configured master key is ${this.sealer.masterKeyId}${this.sealer.previousMasterKeyIds.length > 0 ? ` (previous: ${this.sealer.previousMasterKeyIds.join(', ')})` : ''}. Configure the master key this data directory was created with.`,
      );
    }
  }

  private static context(keyId: string, keyMaterialId: string): string {
    return `kms-key/${keyId}/material/${keyMaterialId}`;
  }

  async put(keyId: string, keyMaterialId: string, material: Buffer, revision: number): Promise<void> {
    const sealed = this.sealer.seal(material, SqliteMaterialVault.context(keyId, keyMaterialId));
    this.statements.upsert.run(keyId, keyMaterialId, revision, sealed);
  }

  async get(keyId: string, keyMaterialId: string): Promise<Buffer | undefined> {
    const row = this.statements.get.get(keyId, keyMaterialId) as { sealed: Buffer } | undefined;
    return row ? this.sealer.open(row.sealed, SqliteMaterialVault.context(keyId, keyMaterialId)) : undefined;
  }

  /**
   * Deletes the row (secure_delete zeroes it in the database file), then checkpoints the WAL into the database
   * and truncates it: until then the WAL still holds the page with the sealed material, and a copy of the data
   * directory with the master key would recover it.
   */
  async shred(keyId: string, keyMaterialId: string, revision: number): Promise<void> {
    if (this.statements.shred.run(keyId, keyMaterialId, revision).changes > 0) this.truncateWal();
  }

  /**
   * Another connection reading an older snapshot (another instance, a backup tool) blocks the truncation past the
   * busy timeout; SQLite then reports `busy` instead of failing. The truncation is retried until it succeeds, so
   * the sealed copy leaves the WAL as soon as that reader lets go.
   */
  private truncateWal(): void {
    const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (result?.busy && !this.truncateRetry) {
      this.truncateRetry = setInterval(() => {
        const [retry] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
        if (!retry?.busy) this.stopTruncateRetry();
      }, TRUNCATE_RETRY_MS);
      this.truncateRetry.unref();
    }
  }

  private stopTruncateRetry(): void {
    clearInterval(this.truncateRetry);
    this.truncateRetry = undefined;
  }

  /** Every row, with the id of the master key it is sealed under (from the blob header). */
  async list(): Promise<Array<{ keyId: string; keyMaterialId: string; revision: number; masterKeyId: string | null }>> {
    return this.rows().map(({ keyId, keyMaterialId, revision, sealed }) => ({ keyId, keyMaterialId, revision, masterKeyId: sealedMaterialMasterKeyId(sealed) }));
  }

  /** How many rows are sealed under each master key id. */
  countByMasterKeyId(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const row of this.rows()) {
      const id = String(sealedMaterialMasterKeyId(row.sealed));
      counts[id] = (counts[id] ?? 0) + 1;
    }
    return counts;
  }

  /**
   * Master key rotation: re-seals every row sealed under a previous master key with the current one. Each row is
   * swapped only if it is unchanged since it was read (a concurrent put or shred wins; it is then counted in
   * `remaining` if still under an old key). Afterwards the WAL is checkpointed and truncated, so with
   * secure_delete no copy of an old blob stays on disk.
   */
  resealUnderCurrentMasterKey(): MasterKeyResealReport {
    const current = this.sealer.masterKeyId;
    const from = new Set<string>();
    const rewrapped: MasterKeyResealReport['rewrapped'] = [];
    for (const row of this.rows()) {
      const id = sealedMaterialMasterKeyId(row.sealed);
      if (id === current || id === null || !this.sealer.opens(id)) continue;
      from.add(id);
      const context = SqliteMaterialVault.context(row.keyId, row.keyMaterialId);
      const material = this.sealer.open(row.sealed, context);
      try {
        const resealed = this.sealer.seal(material, context);
        if (this.statements.reseal.run(resealed, row.keyId, row.keyMaterialId, row.sealed).changes === 1) {
          rewrapped.push({ keyId: row.keyId, keyMaterialId: row.keyMaterialId });
        }
      } finally {
        material.fill(0);
      }
    }
    const [checkpoint] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    const remaining = this.rows().filter((row) => sealedMaterialMasterKeyId(row.sealed) !== current).length;
    return { toMasterKeyId: current, fromMasterKeyIds: [...from].sort(), rewrapped, remaining, walTruncated: !checkpoint?.busy };
  }

  private rows(): Array<{ keyId: string; keyMaterialId: string; revision: number; sealed: Buffer }> {
    return this.statements.list.all() as Array<{ keyId: string; keyMaterialId: string; revision: number; sealed: Buffer }>;
  }

  close(): void {
    this.stopTruncateRetry();
    this.db.close();
  }
}
