// The REST API as the console uses it: every request carries the signed-in credentials (a SigV4 signature or a
// bearer token), errors are the API's RFC 9457 problems, and lists are followed to their last page.
import { canonicalQuery, signRequest } from './sigv4.js';

export class ApiError extends Error {
  constructor(status, problem) {
    const name = problem?.awsErrorType ?? problem?.title ?? `HTTP ${status}`;
    super(problem?.detail ? `${name}: ${problem.detail}` : name);
    this.status = status;
    this.problem = problem;
  }
}

/** `credentials`: `{ kind: 'sigv4', accessKeyId, secretAccessKey, region }` or `{ kind: 'bearer', token }`. Kept in memory only. */
export class KeyledgerApi {
  constructor(credentials) {
    this.credentials = credentials;
  }

  /** GET a path with query parameters given as [[name, value], ...]; resolves to `{ body, etag }`. */
  async get(path, query = []) {
    const defined = query.filter(([, value]) => value !== undefined && value !== '');
    const search = canonicalQuery(defined);
    const headers = { Accept: 'application/json' };
    if (this.credentials.kind === 'bearer') {
      headers.Authorization = `Bearer ${this.credentials.token}`;
    } else {
      Object.assign(headers, await signRequest({ method: 'GET', host: location.host, path, query: defined, body: '' }, this.credentials));
    }
    const response = await fetch(search ? `${path}?${search}` : path, { headers, credentials: 'omit', cache: 'no-store' });
    const text = await response.text();
    let body;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (!response.ok) throw new ApiError(response.status, body);
    return { body, etag: response.headers.get('etag') };
  }

  /** Every page of a list: `itemsOf(body)` the page's items, `cursorOf(body)` the next cursor (undefined at the end). */
  async all(path, query, cursorName, itemsOf, cursorOf, maxPages = 50) {
    const items = [];
    let cursor;
    for (let page = 0; page < maxPages; page++) {
      const { body } = await this.get(path, [...query, [cursorName, cursor]]);
      items.push(...itemsOf(body));
      cursor = cursorOf(body);
      if (cursor === undefined || cursor === null) return items;
    }
    return items;
  }

  keyIds() {
    return this.all('/v1/keys', [['limit', 1000]], 'marker', (b) => b.keys, (b) => b.nextMarker);
  }

  key(keyId, asOf) {
    return this.get(`/v1/keys/${encodeURIComponent(keyId)}`, [['asOf', asOf]]);
  }

  aliases() {
    return this.all('/v1/aliases', [['limit', 100]], 'marker', (b) => b.aliases, (b) => b.nextMarker);
  }

  keyEvents(keyId) {
    return this.all(`/v1/keys/${encodeURIComponent(keyId)}/events`, [['limit', 1000]], 'afterRevision', (b) => b.events, (b) => b.nextAfterRevision);
  }

  keyUsage(keyId) {
    return this.all(`/v1/keys/${encodeURIComponent(keyId)}/usage`, [['limit', 1000]], 'after', (b) => b.records, (b) => b.next);
  }

  audit(keyId) {
    return this.all('/v1/audit', [['keyId', keyId], ['limit', 1000]], 'afterPosition', (b) => b.records, (b) => b.nextAfterPosition);
  }

  async verification() {
    return (await this.get('/v1/audit/verification')).body;
  }
}
