/**
 * Errors of the AWS JSON 1.1 protocol itself (before any command runs): unreadable bodies, wrong member
 * types, unknown operations. Domain errors (KmsError) are mapped beside these in AwsErrorFilter.
 */
export class AwsProtocolError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export const serializationError = (message: string) => new AwsProtocolError('SerializationException', message);
