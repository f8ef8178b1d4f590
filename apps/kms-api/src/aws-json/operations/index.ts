import { ALIAS_OPERATIONS } from './alias-operations';
import { ENCRYPTION_OPERATIONS } from './encryption-operations';
import { IMPORT_OPERATIONS } from './import-operations';
import { KEY_OPERATIONS } from './key-operations';
import { LIFECYCLE_OPERATIONS } from './lifecycle-operations';
import type { Operation } from './operation';
import { SIGNING_OPERATIONS } from './signing-operations';
import { USAGE_OPERATIONS } from './usage-operations';

export type { Buses, Operation } from './operation';

/** The TrentService operations Keyledger serves, by X-Amz-Target operation name: one registry, one file per family. */
export const OPERATIONS: Record<string, Operation> = {
  ...KEY_OPERATIONS,
  ...IMPORT_OPERATIONS,
  ...ENCRYPTION_OPERATIONS,
  ...SIGNING_OPERATIONS,
  ...USAGE_OPERATIONS,
  ...LIFECYCLE_OPERATIONS,
  ...ALIAS_OPERATIONS,
};
