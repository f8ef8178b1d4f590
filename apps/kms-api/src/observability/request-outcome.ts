/** What one answered request leaves in the access log and the metrics (no secrets: ids, names, codes, times). */
export interface RequestOutcome {
  protocol: 'aws-json' | 'rest' | 'http';
  /** The AWS operation, or the REST route's pattern ("GET /v1/keys/:id"); never a raw path (bounded labels). */
  operation: string;
  status: number;
  durationMs: number;
  requestId?: string;
  /** The KeyId the request named (id, ARN or alias), when it named one. */
  keyId?: string;
  errorType?: string;
  /** The authenticated caller: principal name and account (never the secret, never what the request claimed). */
  principal?: string;
  accountId?: string;
}
