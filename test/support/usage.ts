import { restCall, RestReply, sigV4 } from './rest-client';

/** A usage record as `GET /v1/keys/{keyId}/usage` returns it. */
export interface UsageRecordBody {
  cursor: string;
  keyId: string;
  keyArn: string;
  operation: string;
  keyMaterialId?: string;
  principal: { type: 'User' | 'Service'; accountId: string; accessKeyId?: string; invokedBy?: string };
  requestId: string;
  time: string;
  outcome: 'Succeeded' | 'Refused';
  errorType?: string;
  encryptionContextHash?: string;
}

export interface UsagePageBody {
  records: UsageRecordBody[];
  next?: string;
}

export interface UsageQuery {
  limit?: number;
  after?: string;
  /** ISO-8601 with a zone, epoch milliseconds, or a Date. */
  from?: string | number | Date;
  to?: string | number | Date;
  principal?: string;
  operation?: string;
}

/** Who asks: the access key id and region of the SigV4 credential scope (as the AWS SDK clients of the tests send). */
export interface UsageCaller {
  accessKeyId?: string;
  region?: string;
}

const text = (value: string | number | Date): string => (value instanceof Date ? value.toISOString() : String(value));

/**
 * `GET /v1/keys/{keyId}/usage` on a running service (`url` from startKeyledger), as the given caller (default: the
 * access key `test` in us-east-1, like `kl.client()`). `keyId` may be a key ARN; it is encoded for the path.
 * The service flushes its usage recorder first, so the caller's own uses are included.
 */
export function fetchUsage(url: string, keyId: string, query: UsageQuery = {}, caller: UsageCaller = {}): Promise<RestReply<UsagePageBody>> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query) as Array<[string, string | number | Date | undefined]>) {
    if (value !== undefined) params.set(name, text(value));
  }
  const search = params.toString() === '' ? '' : `?${params}`;
  return restCall<UsagePageBody>(url, 'GET', `/v1/keys/${encodeURIComponent(keyId)}/usage${search}`, {
    headers: sigV4(caller.accessKeyId ?? 'test', caller.region ?? 'us-east-1'),
  });
}

/** Every usage record of the key matching `query`, following `next` page by page (fails on any non-200). */
export async function fetchAllUsage(url: string, keyId: string, query: Omit<UsageQuery, 'after'> = {}, caller: UsageCaller = {}): Promise<UsageRecordBody[]> {
  const records: UsageRecordBody[] = [];
  let after: string | undefined;
  do {
    const reply = await fetchUsage(url, keyId, { ...query, after }, caller);
    if (reply.status !== 200) throw new Error(`GET usage of ${keyId}: ${reply.status} ${reply.text}`);
    records.push(...reply.body.records);
    after = reply.body.next;
  } while (after !== undefined);
  return records;
}
