import type Database from 'better-sqlite3';
import { AliasCreatedData, AliasDeletedData, AliasEventTypes, AliasRetargetedData, ALIAS_STREAM_PREFIX, fromIso } from '@keyledger/domain';
import type { RecordedEvent } from '@keyledger/event-store';
import { Projection } from './projection';

/** One row per existing alias, from the alias streams. Idempotent by position; a deleted alias's row goes. */
export class AliasProjection implements Projection {
  readonly name = 'aliases';
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      create: db.prepare(`INSERT INTO aliases (account_id, region, alias_name, alias_arn, target_key_id, creation_date, last_updated_date, last_position)
        VALUES (@accountId, @region, @aliasName, @aliasArn, @targetKeyId, @created, @created, @position)
        ON CONFLICT (account_id, region, alias_name) DO UPDATE SET alias_arn = excluded.alias_arn, target_key_id = excluded.target_key_id,
          creation_date = excluded.creation_date, last_updated_date = excluded.last_updated_date, last_position = excluded.last_position
        WHERE excluded.last_position > aliases.last_position`),
      retarget: db.prepare(`UPDATE aliases SET target_key_id = @targetKeyId, last_updated_date = @updated, last_position = @position
        WHERE alias_arn = @aliasArn AND last_position < @position`),
      remove: db.prepare('DELETE FROM aliases WHERE alias_arn = ? AND last_position < ?'),
      reset: db.prepare('DELETE FROM aliases'),
    };
  }

  apply(event: RecordedEvent): void {
    if (!event.streamId.startsWith(ALIAS_STREAM_PREFIX)) return;
    switch (event.type) {
      case AliasEventTypes.AliasCreated: {
        const d = event.data as unknown as AliasCreatedData;
        const created = fromIso(d.creationDate);
        this.statements.create.run({ accountId: d.accountId, region: d.region, aliasName: d.aliasName, aliasArn: d.aliasArn, targetKeyId: d.target.keyId, created, position: event.position });
        return;
      }
      case AliasEventTypes.AliasRetargeted: {
        const d = event.data as unknown as AliasRetargetedData;
        this.statements.retarget.run({ aliasArn: d.aliasArn, targetKeyId: d.target.keyId, updated: fromIso(d.lastUpdatedDate), position: event.position });
        return;
      }
      case AliasEventTypes.AliasDeleted:
        this.statements.remove.run((event.data as unknown as AliasDeletedData).aliasArn, event.position);
        return;
    }
  }

  reset(): void {
    this.statements.reset.run();
  }
}
