export * from './audit-projection';
export * from './audit-read-model';
export * from './audit-record';
export * from './key-projection';
export * from './projection';
export * from './projection-runner';
export * from './read-model-database';
export * from './sqlite-key-read-model';
