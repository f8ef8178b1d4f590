/**
 * Refusals of the REST protocol itself that have no AWS counterpart (unsupported media type, an unknown route,
 * an unavailable read model). Domain errors (KmsError) and AWS protocol errors are mapped beside these.
 */
export class RestHttpError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly awsErrorType?: string,
  ) {
    super(detail);
    this.name = 'RestHttpError';
  }
}
