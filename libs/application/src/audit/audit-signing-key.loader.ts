import { Logger } from '@nestjs/common';
import { AuditSigningKey, loadAuditSigningKey } from '@keyledger/audit';

/**
 * Loads the key that signs audit digests (KEYLEDGER_AUDIT_SIGNING_KEY), warning loudly when it falls back to a
 * development key in the data directory, and logs the public key operators verify with.
 * Throws AuditSigningKeyError when a configured key is unusable.
 */
export function loadAuditSigningKeyForService(configured: string | undefined, dataDir: string, logger = new Logger('AuditSigningKey')): AuditSigningKey {
  const key = loadAuditSigningKey(configured, dataDir, ({ file, publicKeyFile, generated }) =>
    logger.warn({
      msg: `No KEYLEDGER_AUDIT_SIGNING_KEY configured: ${generated ? 'generated' : 'using'} a development key for audit digests. It lives next to the log, so it proves nothing against someone who can write the data directory; set KEYLEDGER_AUDIT_SIGNING_KEY to an Ed25519 private key kept elsewhere.`,
      file,
      publicKeyFile,
    }),
  );
  // Debug: at info the start-up says only where it serves (keyledger verify prints the key it checks against).
  logger.debug({
    msg: 'audit digests are signed with Ed25519; verify with this public key',
    publicKeyFingerprint: key.fingerprint,
    publicKey: key.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  });
  return key;
}
