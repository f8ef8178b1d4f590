import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { createFileOnce, InvalidMasterKeyError, MasterKey, type MasterKeyRing } from '@keyledger/crypto';
import { ConfigError } from './config';

export const DEV_MASTER_KEY_FILE = 'master.key';

/**
 * The master key seals all key material at rest. Fail closed: a configured key that is unusable stops the
 * service. Without one, a development key is generated into the data directory (0600) with a warning, so a
 * first run needs no setup; anyone with that file and the database can read the material.
 */
export function loadMasterKey(configured: string | undefined, dataDir: string, logger = new Logger('MasterKey')): MasterKey {
  if (configured !== undefined) {
    try {
      return MasterKey.fromBase64(configured);
    } catch (error) {
      const reason = error instanceof InvalidMasterKeyError ? error.message : 'it could not be read';
      throw new ConfigError(`KEYLEDGER_MASTER_KEY is unusable: ${reason}`);
    }
  }
  const file = join(dataDir, DEV_MASTER_KEY_FILE);
  if (existsSync(file)) {
    try {
      return MasterKey.fromBase64(readFileSync(file, 'utf8').trim());
    } catch (error) {
      throw new ConfigError(`The development master key ${file} is unusable: ${(error as Error).message}`);
    }
  }
  mkdirSync(dataDir, { recursive: true });
  const key = MasterKey.generate();
  // Another instance sharing this data directory created it first: use theirs (never seen half written).
  if (!createFileOnce(file, key.toBase64() + '\n', 0o600)) return loadMasterKey(undefined, dataDir, logger);
  logger.warn({
    msg: 'No KEYLEDGER_MASTER_KEY configured: generated a development master key. Do not use it in production; set KEYLEDGER_MASTER_KEY to 32 random bytes in base64.',
    file,
    masterKeyId: key.id,
  });
  return key;
}

/**
 * The master key ring: the current key (as loadMasterKey) seals, the previous keys (KEYLEDGER_PREVIOUS_MASTER_KEYS)
 * only open what was sealed before a rotation. Previous keys need a configured current key: a generated
 * development key cannot be the target of a rotation.
 */
export function loadMasterKeyRing(
  configured: string | undefined,
  previous: readonly string[],
  dataDir: string,
  logger = new Logger('MasterKey'),
): MasterKeyRing {
  if (previous.length > 0 && configured === undefined) {
    throw new ConfigError('KEYLEDGER_PREVIOUS_MASTER_KEYS needs KEYLEDGER_MASTER_KEY (the new master key) to be set.');
  }
  const current = loadMasterKey(configured, dataDir, logger);
  const previousKeys = previous.map((text, index) => {
    try {
      return MasterKey.fromBase64(text);
    } catch (error) {
      const reason = error instanceof InvalidMasterKeyError ? error.message : 'it could not be read';
      throw new ConfigError(`KEYLEDGER_PREVIOUS_MASTER_KEYS entry ${index + 1} is unusable: ${reason}`);
    }
  });
  const distinct = previousKeys.filter((key, index) => key.id !== current.id && previousKeys.findIndex((other) => other.id === key.id) === index);
  if (distinct.length > 0) {
    logger.log({ msg: 'Master key rotation: previous master keys open existing material and import tokens; new material is sealed under the current key.', masterKeyId: current.id, previousMasterKeyIds: distinct.map((key) => key.id) });
  }
  return { current, previous: distinct };
}
