import { DeleteKeyHandler } from './delete-key';
import { KEY_SETTINGS_QUERY_HANDLERS } from './key-queries';
import { LIFECYCLE_COMMAND_HANDLERS } from './lifecycle-commands';
import { RotateKeyAutomaticallyHandler, RotateKeyOnDemandHandler } from './rotation-commands';

export * from './delete-key';
export * from './key-change';
export * from './key-queries';
export * from './lifecycle-commands';
export * from './rotation-commands';

export const KEY_CHANGE_COMMAND_HANDLERS = [...LIFECYCLE_COMMAND_HANDLERS, RotateKeyOnDemandHandler, RotateKeyAutomaticallyHandler, DeleteKeyHandler];
export { KEY_SETTINGS_QUERY_HANDLERS };
