import { CreateKeyHandler } from './commands/create-key';
import { DeleteImportedKeyMaterialHandler } from './commands/delete-imported-key-material';
import { ExpireKeyMaterialHandler } from './commands/expire-key-material';
import { GetParametersForImportHandler } from './commands/get-parameters-for-import';
import { ImportKeyMaterialHandler } from './commands/import-key-material';
import { DescribeKeyHandler } from './queries/describe-key';
import { CRYPTO_QUERY_HANDLERS, KeyUse } from './crypto';
import { KeyResolver } from './key-resolution';
import { ALIAS_COMMAND_HANDLERS, ALIAS_QUERY_HANDLERS, AliasCommandExecutor } from './aliases';
import { KEY_CHANGE_COMMAND_HANDLERS, KEY_SETTINGS_QUERY_HANDLERS } from './lifecycle';
import { HISTORY_QUERY_HANDLERS } from './queries/history';
import { ListKeysHandler } from './queries/list-keys';
import { USAGE_QUERY_HANDLERS } from './usage';

export * from './audit';
export * from './commands/create-key';
export * from './commands/delete-imported-key-material';
export * from './commands/expire-key-material';
export * from './commands/get-parameters-for-import';
export * from './commands/import-key-material';
export * from './crypto';
export * from './aliases';
export * from './lifecycle';
export * from './maintenance/maintenance-job';
export * from './import/wrapping-key-pool';
export * from './key-command-executor';
export * from './key-state-cache';
export * from './key-resolution';
export * from './ports';
export * from './queries/describe-key';
export * from './queries/history';
export * from './queries/list-keys';
export * from './request-context';
export * from './stored-events';
export * from './usage';
export * from './vault/caching-material-vault';
export * from './vault/sqlite-material-vault';
export { EventStoreDbMaterialVault, type EventStoreDbMaterialVaultOptions } from './vault/eventstoredb-material-vault';
export * from './vault/vault-reconciler';

export const COMMAND_HANDLERS = [
  CreateKeyHandler,
  GetParametersForImportHandler,
  ImportKeyMaterialHandler,
  DeleteImportedKeyMaterialHandler,
  ExpireKeyMaterialHandler,
  ...KEY_CHANGE_COMMAND_HANDLERS,
  ...ALIAS_COMMAND_HANDLERS,
];
export const QUERY_HANDLERS = [DescribeKeyHandler, ListKeysHandler, ...CRYPTO_QUERY_HANDLERS, ...HISTORY_QUERY_HANDLERS, ...USAGE_QUERY_HANDLERS, ...KEY_SETTINGS_QUERY_HANDLERS, ...ALIAS_QUERY_HANDLERS];
/** Providers the handlers share. */
export const APPLICATION_PROVIDERS = [KeyUse, KeyResolver, AliasCommandExecutor];
