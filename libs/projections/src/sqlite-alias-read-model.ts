import type Database from 'better-sqlite3';
import type { AliasEntry, AliasReadModel } from '@keyledger/application';
import type { RequestScope } from '@keyledger/domain';
import { limitBy } from '@keyledger/event-store';

/** ListAliases markers are opaque to clients; inside they are the name of the last alias returned. */
const encodeMarker = (aliasName: string): string => Buffer.from(`kla1:${aliasName}`).toString('base64url');
function decodeMarker(marker: string): string | undefined {
  const text = Buffer.from(marker, 'base64url').toString('utf8');
  return text.startsWith('kla1:') ? text.slice('kla1:'.length) : undefined;
}

const COLUMNS = `alias_name AS aliasName, alias_arn AS aliasArn, target_key_id AS targetKeyId,
  creation_date AS creationDate, last_updated_date AS lastUpdatedDate`;

/** Aliases in name order, per account and region. */
export class SqliteAliasReadModel implements AliasReadModel {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      all: db.prepare(`SELECT ${COLUMNS} FROM aliases WHERE account_id = ? AND region = ? AND alias_name > ? ORDER BY alias_name ${limitBy()}`),
      ofKey: db.prepare(`SELECT ${COLUMNS} FROM aliases WHERE account_id = ? AND region = ? AND target_key_id = ? AND alias_name > ? ORDER BY alias_name ${limitBy()}`),
    };
  }

  async listAliases(scope: RequestScope, page: { keyId?: string; limit: number; marker?: string }) {
    const after = page.marker === undefined ? '' : decodeMarker(page.marker);
    if (after === undefined) return 'invalid-marker' as const;
    // One extra row tells whether there is a next page.
    const rows = (
      page.keyId === undefined
        ? this.statements.all.all(scope.accountId, scope.region, after, page.limit + 1)
        : this.statements.ofKey.all(scope.accountId, scope.region, page.keyId, after, page.limit + 1)
    ) as AliasEntry[];
    const aliases = rows.slice(0, page.limit);
    return { aliases, nextMarker: rows.length > page.limit ? encodeMarker(aliases[aliases.length - 1].aliasName) : undefined };
  }

  async aliasesOfKey(scope: RequestScope, keyId: string): Promise<AliasEntry[]> {
    return this.statements.ofKey.all(scope.accountId, scope.region, keyId, '', -1) as AliasEntry[];
  }
}
