import { KeyCryptoController } from './key-crypto.controller';
import { KeySigningController } from './key-signing.controller';
import { RandomController } from './random.controller';

/** The cryptographic operations over REST (docs/rest-api.md, "Cryptographic operations"). */
export const CRYPTO_CONTROLLERS = [KeyCryptoController, KeySigningController, RandomController];
