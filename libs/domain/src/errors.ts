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
  | 'DryRunOperationException'
  | 'CustomKeyStoreNotFoundException'
  | 'TagException'
  | 'LimitExceededException'
  | 'MalformedPolicyDocumentException'
  | 'AlreadyExistsException'
  | 'NotAuthorizedException'
  | 'AccessDeniedException'
  | 'KMSInvalidSignatureException'
  | 'KMSInvalidMacException'
  | 'KMSInternalException'
  // A dependency (the event store) did not answer in time or could not be reached: a retryable server fault.
  | 'DependencyTimeoutException';

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
  notPendingDeletion: (arn: string) => new KmsError('KMSInvalidStateException', `${arn} is not pending deletion.`),
  disabled: (arn: string) => new KmsError('DisabledException', `${arn} is disabled.`),
  validation: (message: string) => new KmsError('ValidationException', message),
  dryRun: () => new KmsError('DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.'),
  /** AWS sends these without a message (kms-operations-reference.md §0.1). */
  invalidCiphertext: () => new KmsError('InvalidCiphertextException', ''),
  invalidSignature: () => new KmsError('KMSInvalidSignatureException', ''),
  invalidMac: () => new KmsError('KMSInvalidMacException', ''),
  /** A symmetric ciphertext naming a key the caller cannot see (kms-operations-reference.md §0.2, FIELD text). */
  ciphertextKeyNotAccessible: () =>
    new KmsError(
      'AccessDeniedException',
      'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.',
    ),
  incorrectKey: () => new KmsError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.'),
};
