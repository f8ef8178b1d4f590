export * from './alias';
export * from './alias-name';
