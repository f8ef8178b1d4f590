import type { KeyMetadata } from '@keyledger/domain';
import { KeyResource } from '../dto/key-resources.dto';
import { toIsoTime } from '../validation/instant';

const isoFromSeconds = (epochSeconds: number): string => toIsoTime(epochSeconds * 1000);

/** AWS KeyMetadata (PascalCase, epoch seconds) as the REST resource (camelCase, ISO-8601); unset members stay absent. */
export function toKeyResource(m: KeyMetadata): KeyResource {
  return {
    keyId: m.KeyId,
    arn: m.Arn,
    awsAccountId: m.AWSAccountId,
    creationDate: isoFromSeconds(m.CreationDate),
    enabled: m.Enabled,
    description: m.Description,
    keyUsage: m.KeyUsage,
    keyState: m.KeyState,
    origin: m.Origin,
    keyManager: m.KeyManager,
    keySpec: m.KeySpec,
    encryptionAlgorithms: m.EncryptionAlgorithms,
    signingAlgorithms: m.SigningAlgorithms,
    macAlgorithms: m.MacAlgorithms,
    keyAgreementAlgorithms: m.KeyAgreementAlgorithms,
    multiRegion: m.MultiRegion,
    expirationModel: m.ExpirationModel,
    validTo: m.ValidTo === undefined ? undefined : isoFromSeconds(m.ValidTo),
    // Rounded: DeletionDate is kept to the millisecond, and ms/1000*1000 is not always exact in floating point.
    deletionDate: m.DeletionDate === undefined ? undefined : toIsoTime(Math.round(m.DeletionDate * 1000)),
    currentKeyMaterialId: m.CurrentKeyMaterialId,
  };
}

/** The key id at the end of a key ARN (command results name keys by ARN). */
export const keyIdFromArn = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);
