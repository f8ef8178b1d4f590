export * from './wrapping';
export * from './key-material';
export * from './master-key';
export * from './sealed-material';
export * from './import-token';
export * from './symmetric-ciphertext';
export { canonicalEncryptionContext } from './encryption-context';
