import type Database from 'better-sqlite3';
import type { KeyListEntry, KeyReadModel } from '@keyledger/application';
import type { KeyState, RequestScope } from '@keyledger/domain';
import { limitBy } from '@keyledger/event-store';

/** ListKeys markers are opaque to clients; inside they are the creation position of the last key returned. */
const encodeMarker = (position: number): string => Buffer.from(`kl1:${position}`).toString('base64url');
function decodeMarker(marker: string): number | undefined {
  const match = /^kl1:(\d+)$/.exec(Buffer.from(marker, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : undefined;
}

export class SqliteKeyReadModel implements KeyReadModel {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      find: db.prepare('SELECT state FROM key_summaries WHERE key_id = ? AND account_id = ? AND region = ?'),
      list: db.prepare(`SELECT key_id AS keyId, arn, created_position AS createdPosition FROM key_summaries
        WHERE account_id = ? AND region = ? AND created_position > ? AND deleted = 0 ORDER BY created_position ${limitBy()}`),
      deletionDue: db.prepare(`SELECT key_id AS keyId FROM key_summaries WHERE deletion_due <= ? ORDER BY deletion_due ${limitBy()}`),
      rotationDue: db.prepare(`SELECT key_id AS keyId FROM key_summaries WHERE rotation_due <= ? ORDER BY rotation_due ${limitBy()}`),
      due: db.prepare(`SELECT DISTINCT key_id AS keyId FROM material_expiry_schedule WHERE valid_to <= ? ORDER BY valid_to ${limitBy()}`),
    };
  }

  async findKey(scope: RequestScope, keyId: string): Promise<KeyState | undefined> {
    const row = this.statements.find.get(keyId, scope.accountId, scope.region) as { state: string } | undefined;
    return row ? (JSON.parse(row.state) as KeyState) : undefined;
  }

  async listKeys(scope: RequestScope, page: { limit: number; marker?: string }) {
    const after = page.marker === undefined ? 0 : decodeMarker(page.marker);
    if (after === undefined) return 'invalid-marker' as const;
    // One extra row tells whether there is a next page.
    const rows = this.statements.list.all(scope.accountId, scope.region, after, page.limit + 1) as Array<KeyListEntry & { createdPosition: number }>;
    const keys = rows.slice(0, page.limit);
    const truncated = rows.length > page.limit;
    return {
      keys: keys.map(({ keyId, arn }) => ({ keyId, arn })),
      nextMarker: truncated ? encodeMarker(keys[keys.length - 1].createdPosition) : undefined,
    };
  }

  async keysWithMaterialDueForExpiry(now: number, limit: number): Promise<string[]> {
    return (this.statements.due.all(now, limit) as Array<{ keyId: string }>).map((r) => r.keyId);
  }

  async keysDueForDeletion(now: number, limit: number): Promise<string[]> {
    return (this.statements.deletionDue.all(now, limit) as Array<{ keyId: string }>).map((r) => r.keyId);
  }

  async keysDueForRotation(now: number, limit: number): Promise<string[]> {
    return (this.statements.rotationDue.all(now, limit) as Array<{ keyId: string }>).map((r) => r.keyId);
  }
}
