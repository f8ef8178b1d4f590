import { GenerateDataKeyHandler, GenerateDataKeyPairHandler, GenerateRandomHandler } from './data-keys';
import { DecryptHandler, EncryptHandler } from './encryption';
import { GenerateMacHandler, VerifyMacHandler } from './mac';
import { DeriveSharedSecretHandler, GetPublicKeyHandler } from './public-key';
import { ReEncryptHandler } from './re-encrypt';
import { SignHandler, VerifyHandler } from './signing';

export * from './data-keys';
export * from './encryption';
export * from './key-use';
export * from './mac';
export * from './public-key';
export * from './re-encrypt';
export * from './signing';

/** Every cryptographic operation: queries, since using a key changes no key's state (its use is logged apart). */
export const CRYPTO_QUERY_HANDLERS = [
  EncryptHandler,
  DecryptHandler,
  ReEncryptHandler,
  GenerateDataKeyHandler,
  GenerateDataKeyPairHandler,
  GenerateRandomHandler,
  SignHandler,
  VerifyHandler,
  GenerateMacHandler,
  VerifyMacHandler,
  GetPublicKeyHandler,
  DeriveSharedSecretHandler,
];
