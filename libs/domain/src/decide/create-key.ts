import { CreateKeyCommand } from '../commands';
import { KmsError, KmsErrors } from '../errors';
import { KeyEvent, KeyEventTypes } from '../events';
import { allowedUsages, KEY_SPECS, KeySpec, KeyUsage, keyFamily, UNSUPPORTED_KEY_SPECS } from '../key-spec';
import { KeyState } from '../key-state';
import { toIso } from '../time';
import { keyArn } from '../key-identifier';
import { checkPolicyDocument } from '../key-policy';
import { checkTags } from '../tags';

const isSupportedKeySpec = (s: string): s is KeySpec => (KEY_SPECS as readonly string[]).includes(s);

function chooseUsage(spec: KeySpec, requested: string | undefined): KeyUsage {
  if (requested === undefined) {
    if (keyFamily(spec) !== 'SYMMETRIC') {
      throw KmsErrors.validation('You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.');
    }
    return 'ENCRYPT_DECRYPT';
  }
  const allowed = allowedUsages(spec);
  if (!(allowed as readonly string[]).includes(requested)) {
    // AWS's text, recorded (kms-operations-reference.md §12.3): no list of the valid usages, no trailing period.
    throw KmsErrors.validation(`KeyUsage ${requested} is not compatible with KeySpec ${spec}`);
  }
  return requested as KeyUsage;
}

export function decideCreateKey(command: CreateKeyCommand, state: KeyState, now: number): KeyEvent[] {
  if ((UNSUPPORTED_KEY_SPECS as readonly string[]).includes(command.keySpec)) {
    throw new KmsError('UnsupportedOperationException', `KeySpec ${command.keySpec} is not supported by this service.`);
  }
  if (!isSupportedKeySpec(command.keySpec)) throw KmsErrors.validation(`KeySpec ${command.keySpec} is not valid.`);
  const keyUsage = chooseUsage(command.keySpec, command.keyUsage);
  if (command.origin !== 'AWS_KMS' && command.origin !== 'EXTERNAL') {
    throw new KmsError('UnsupportedOperationException', `Origin ${command.origin} is not supported by this service: custom key stores are not available.`);
  }
  if (command.multiRegion) {
    throw new KmsError('UnsupportedOperationException', 'Multi-Region keys are not supported by this service.');
  }
  if (command.origin === 'AWS_KMS' && !command.generatedKeyMaterialId) {
    throw new KmsError('KMSInternalException', 'Key material was not generated for an AWS_KMS key.');
  }
  if (command.tags) checkTags(command.tags);
  if (command.policy !== undefined) checkPolicyDocument(command.policy);
  if (state.key) throw new KmsError('ConflictException', `Key ${state.key.arn} already exists.`);

  const scope = { accountId: command.accountId, region: command.region };
  return [
    {
      type: KeyEventTypes.KeyCreated,
      data: {
        keyId: command.keyId,
        arn: keyArn(scope, command.keyId),
        accountId: command.accountId,
        region: command.region,
        description: command.description,
        keySpec: command.keySpec,
        keyUsage,
        origin: command.origin,
        multiRegion: false,
        creationDate: toIso(now),
        ...(command.origin === 'AWS_KMS' ? { keyMaterialId: command.generatedKeyMaterialId } : {}),
        ...(command.origin === 'AWS_KMS' && command.sealedUnderMasterKeyId !== undefined ? { sealedUnderMasterKeyId: command.sealedUnderMasterKeyId } : {}),
        ...(command.tags?.length ? { tags: command.tags } : {}),
        ...(command.policy !== undefined ? { policy: command.policy } : {}),
      },
    },
  ];
}
