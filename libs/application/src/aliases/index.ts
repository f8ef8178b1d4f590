export * from './alias-command-executor';
export * from './alias-commands';
export * from './alias-queries';
