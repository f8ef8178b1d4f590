import { CreateKeyHandler } from './commands/create-key';
import { DeleteImportedKeyMaterialHandler } from './commands/delete-imported-key-material';
import { ExpireKeyMaterialHandler } from './commands/expire-key-material';
import { GetParametersForImportHandler } from './commands/get-parameters-for-import';
import { ImportKeyMaterialHandler } from './commands/import-key-material';
import { DescribeKeyHandler } from './queries/describe-key';
import { DecryptHandler, EncryptHandler } from './queries/encrypt-decrypt';
import { HISTORY_QUERY_HANDLERS } from './queries/history';
import { ListKeysHandler } from './queries/list-keys';

export * from './audit';
export * from './commands/create-key';
export * from './commands/delete-imported-key-material';
export * from './commands/expire-key-material';
export * from './commands/get-parameters-for-import';
export * from './commands/import-key-material';
export * from './expiry/expiry-job';
export * from './import/wrapping-key-pool';
export * from './key-command-executor';
export * from './ports';
export * from './queries/describe-key';
export * from './queries/encrypt-decrypt';
export * from './queries/history';
export * from './queries/list-keys';
export * from './request-context';
export * from './stored-events';
export * from './vault/sqlite-material-vault';
export { EventStoreDbMaterialVault, type EventStoreDbMaterialVaultOptions } from './vault/eventstoredb-material-vault';
export * from './vault/vault-reconciler';

export const COMMAND_HANDLERS = [
  CreateKeyHandler,
  GetParametersForImportHandler,
  ImportKeyMaterialHandler,
  DeleteImportedKeyMaterialHandler,
  ExpireKeyMaterialHandler,
];
export const QUERY_HANDLERS = [DescribeKeyHandler, ListKeysHandler, EncryptHandler, DecryptHandler, ...HISTORY_QUERY_HANDLERS];
