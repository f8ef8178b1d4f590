/**
 * Domain errors are values with an AWS name. The API layer maps `type` to `__type` and status in one place;
 * nothing else in the domain knows about HTTP.
 */
export type KmsErrorType =
  | 'ValidationException'
  | 'NotFoundException'
  | 'InvalidArnException'
  | 'UnsupportedOperationException'
  | 'KMSInvalidStateException'
  | 'DisabledException'
  | 'InvalidImportTokenException'
  | 'ExpiredImportTokenException'
  | 'InvalidCiphertextException'
  | 'IncorrectKeyMaterialException'
  | 'IncorrectKeyException'
  | 'InvalidKeyUsageException'
  | 'InvalidMarkerException'
  | 'ConflictException'
  | 'KMSInternalException';

export class KmsError extends Error {
  constructor(
    readonly type: KmsErrorType,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

export const isKmsError = (e: unknown): e is KmsError => e instanceof KmsError;

/** AWS's recurring messages, kept verbatim (kms-api-reference.md §2, §10). */
export const KmsErrors = {
  keyNotFound: (arn: string) => new KmsError('NotFoundException', `Key '${arn}' does not exist`),
  invalidKeyId: (input: string) => new KmsError('NotFoundException', `Invalid keyId '${input}'`),
  invalidArnRegion: (region: string) => new KmsError('NotFoundException', `Invalid arn ${region}`),
  aliasNotFound: (aliasArn: string) => new KmsError('NotFoundException', `Alias ${aliasArn} is not found.`),
  invalidArn: (input: string) => new KmsError('InvalidArnException', `Invalid arn ${input}`),
  originNotValid: (arn: string, origin: string) =>
    new KmsError('UnsupportedOperationException', `${arn} origin is ${origin} which is not valid for this operation.`),
  pendingImport: (arn: string) => new KmsError('KMSInvalidStateException', `${arn} is pending import.`),
  pendingDeletion: (arn: string) => new KmsError('KMSInvalidStateException', `${arn} is pending deletion.`),
  disabled: (arn: string) => new KmsError('DisabledException', `${arn} is disabled.`),
  validation: (message: string) => new KmsError('ValidationException', message),
};
