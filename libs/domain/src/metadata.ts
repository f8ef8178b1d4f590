/**
 * Metadata carried by every stored event: who, on whose behalf, in answer to which request. Built by the
 * application layer from the request; the domain only defines its shape.
 */
export interface Principal {
  /** 'User' for API callers (identified by access key), 'Service' for Keyledger's own jobs. */
  type: 'User' | 'Service';
  accountId: string;
  accessKeyId?: string;
  /** For 'User' principals: the principal the credentials file names for the access key (e.g. an IAM ARN). */
  name?: string;
  /** For 'Service' principals: which part of Keyledger acted, e.g. 'keyledger-expiry'. */
  invokedBy?: string;
}

export interface EventMetadata {
  [key: string]: string | Principal | undefined;
  accountId: string;
  region: string;
  principal: Principal;
  requestId: string;
  correlationId: string;
  causationId: string;
  /** The operation that caused the event, e.g. 'ImportKeyMaterial'. */
  operation: string;
  timestamp: string;
}
