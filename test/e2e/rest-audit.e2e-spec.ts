import { INestApplication } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { AUDIT_LOG, AuditLog, AuditPage, AuditQuery, AuditRecord, ID_GENERATOR, SearchAuditLogHandler } from '@keyledger/application';
import { AUTH_CONFIG, AUTHENTICATION_PROVIDERS } from '../../apps/kms-api/src/auth';
import { testCredentialsFile, testPrincipalOf } from '../support/test-credentials';
import { AuditController } from '../../apps/kms-api/src/rest/audit/audit.controller';
import { RestContextResolver } from '../../apps/kms-api/src/rest/http/rest-context';
import { eventually } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { expectOk, expectProblem, restClient, RestClient, sigV4 } from '../support/rest-client';

/** An audit read model in memory that pages at most `pageSize` records per call, and remembers the queries. */
class InMemoryAuditLog implements AuditLog {
  readonly queries: AuditQuery[] = [];
  constructor(
    private readonly records: AuditRecord[],
    private readonly pageSize = 1000,
  ) {}

  async query(query: AuditQuery): Promise<AuditPage> {
    this.queries.push(query);
    const matching = this.records.filter(
      (r) =>
        r.position > (query.afterPosition ?? 0) &&
        (query.keyId === undefined || r.keyId === query.keyId) &&
        (query.type === undefined || r.type === query.type) &&
        (query.principal === undefined || r.principal?.accessKeyId === query.principal || r.principal?.invokedBy === query.principal) &&
        (query.from === undefined || Date.parse(r.time) >= query.from) &&
        (query.to === undefined || Date.parse(r.time) < query.to),
    );
    const records = matching.slice(0, Math.min(query.limit, this.pageSize));
    return { records, nextAfterPosition: matching.length > records.length ? records[records.length - 1].position : undefined };
  }
}

const KEY = '11111111-2222-3333-4444-555555555555';
const OWN = '000000000000';
const record = (position: number, overrides: Partial<AuditRecord> = {}): AuditRecord => ({
  position,
  streamId: `kms-key-${KEY}`,
  revision: position - 1,
  keyId: KEY,
  type: 'ImportParametersIssued.v1',
  time: new Date(Date.UTC(2026, 0, 1, 0, position)).toISOString(),
  principal: { type: 'User', accountId: OWN, accessKeyId: 'AKIAOWN' },
  requestId: `request-${position}`,
  operation: 'GetParametersForImport',
  outcome: 'Succeeded',
  data: { importTokenId: `token-${position}` },
  ...overrides,
});

/** The audit controller and query handler served over real HTTP, with the AUDIT_LOG port bound to `auditLog`. */
async function serveAuditEndpoint(auditLog?: AuditLog): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [CqrsModule.forRoot()],
    controllers: [AuditController],
    providers: [
      SearchAuditLogHandler,
      RestContextResolver,
      { provide: AUTH_CONFIG, useValue: { credentialsFile: testCredentialsFile(), defaultCredentials: false, defaultAccountId: OWN, defaultRegion: 'us-east-1' } },
      ...AUTHENTICATION_PROVIDERS,
      { provide: ID_GENERATOR, useValue: { keyId: () => randomUUID(), uuid: () => randomUUID() } },
      ...(auditLog ? [{ provide: AUDIT_LOG, useValue: auditLog }] : []),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

describe('REST: GET /v1/audit against the AUDIT_LOG port', () => {
  const records = [
    record(1, { type: 'KeyCreated.v1', operation: 'CreateKey', data: { keyId: KEY } }),
    record(2, { principal: { type: 'User', accountId: '999999999999', accessKeyId: '999999999999' }, keyId: '99999999-2222-3333-4444-555555555555' }),
    record(3, { outcome: 'Refused', type: 'RequestRefused.v1', errorType: 'InvalidImportTokenException', errorMessage: 'The import token is invalid.', streamId: 'keyledger-audit' }),
    record(4, { principal: { type: 'Service', accountId: OWN, invokedBy: 'keyledger-expiry' }, type: 'KeyMaterialExpired.v1' }),
    record(5, { principal: { type: 'User', accountId: '999999999999', accessKeyId: '999999999999' } }),
    record(6, { principal: { type: 'User', accountId: '999999999999', accessKeyId: '999999999999' } }),
    record(7),
  ];
  let auditLog: InMemoryAuditLog;
  let served: { app: INestApplication; url: string };
  let rest: RestClient;
  beforeAll(async () => {
    auditLog = new InMemoryAuditLog(records, 2);
    served = await serveAuditEndpoint(auditLog);
    rest = restClient(served.url);
  });
  afterAll(() => served.app.close());

  it("returns the caller's account only, filling the page across the read model's pages", async () => {
    const page = expectOk(await rest.get('/v1/audit?limit=3'));
    expect(page.records.map((r: AuditRecord) => r.position)).toEqual([1, 3, 4]);
    expect(page.nextAfterPosition).toBe(4);
    const rest2 = expectOk(await rest.get('/v1/audit?limit=3&afterPosition=4'));
    expect(rest2.records.map((r: AuditRecord) => r.position)).toEqual([7]);
    expect(rest2.nextAfterPosition).toBeUndefined();
    const foreign = expectOk(await restClient(served.url, sigV4('999999999999')).get('/v1/audit'));
    expect(foreign.records.map((r: AuditRecord) => r.position)).toEqual([2, 5, 6]);
  });

  it('passes the filters to the port: keyId (id or ARN), type, principal, from and to (ISO-8601 or epoch ms), limit, afterPosition', async () => {
    auditLog.queries.length = 0;
    const arn = encodeURIComponent(`arn:aws:kms:us-east-1:${OWN}:key/${KEY}`);
    const from = '2026-01-01T00:02:00Z';
    const to = Date.UTC(2026, 0, 1, 0, 5);
    const page = expectOk(await rest.get(`/v1/audit?keyId=${arn}&type=RequestRefused.v1&principal=AKIAOWN&from=${from}&to=${to}&limit=5&afterPosition=1`));
    expect(auditLog.queries[0]).toEqual({ keyId: KEY, type: 'RequestRefused.v1', principal: 'AKIAOWN', from: Date.parse(from), to, limit: 5, afterPosition: 1 });
    expect(page.records).toEqual([
      {
        // No revision: a requester's own refusal about a key never shows it (search-audit-log.ts, asSeenBy).
        position: 3,
        streamId: 'keyledger-audit',
        keyId: KEY,
        type: 'RequestRefused.v1',
        time: '2026-01-01T00:03:00.000Z',
        principal: { type: 'User', accountId: OWN, accessKeyId: 'AKIAOWN' },
        requestId: 'request-3',
        operation: 'GetParametersForImport',
        outcome: 'Refused',
        errorType: 'InvalidImportTokenException',
        errorMessage: 'The import token is invalid.',
        data: { importTokenId: 'token-3' },
      },
    ]);
    const byService = expectOk(await rest.get('/v1/audit?principal=keyledger-expiry'));
    expect(byService.records.map((r: AuditRecord) => r.type)).toEqual(['KeyMaterialExpired.v1']);
  });

  it('refuses bad filters with 400 problems, before asking the port', async () => {
    auditLog.queries.length = 0;
    expectProblem(await rest.get('/v1/audit?from=never'), 400, 'validation-failed', 'ValidationException', /at 'from'/);
    expectProblem(await rest.get('/v1/audit?to=2026-01-01T00:00:00'), 400, 'validation-failed', 'ValidationException', /at 'to'/);
    expectProblem(await rest.get('/v1/audit?limit=5000'), 400, 'validation-failed', 'ValidationException', /at 'limit'/);
    expectProblem(await rest.get('/v1/audit?afterPosition=x'), 400, 'validation-failed', 'ValidationException', /at 'afterPosition'/);
    expectProblem(await rest.get('/v1/audit?keyId=alias%2Fpayments'), 400, 'validation-failed', 'ValidationException', /keyId 'alias\/payments' is not a key id or key ARN/);
    expectProblem(await rest.get('/v1/audit?type=a&type=b'), 400, 'malformed-request', 'SerializationException');
    expect(auditLog.queries).toEqual([]);
  });

  it('answers 503 when no audit read model is bound', async () => {
    const unbound = await serveAuditEndpoint(undefined);
    try {
      expectProblem(await restClient(unbound.url).get('/v1/audit'), 503, 'audit-log-unavailable', undefined, 'The audit log is not available in this deployment.');
    } finally {
      await unbound.app.close();
    }
  });
});

describe('REST: GET /v1/audit in the running service', () => {
  let kl: RunningKeyledger;
  beforeAll(async () => {
    kl = await startKeyledger();
  });
  afterAll(() => kl.destroy());

  it('shows REST changes and REST refusals under the request ids the caller was given', async () => {
    const rest = restClient(kl.url, sigV4('AKIAAUDITED'));
    const created = await rest.post('/v1/keys', { origin: 'EXTERNAL' });
    const keyId = expectOk(created, 201).keyId;
    const params = expectOk(await rest.post(`/v1/keys/${keyId}/import-parameters`, { wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' }));
    const forged = Buffer.from(params.importToken, 'base64');
    forged[forged.length - 1] ^= 1;
    const refused = await rest.post(`/v1/keys/${keyId}/material`, { importToken: forged.toString('base64'), encryptedKeyMaterial: 'AAAA', expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    expectProblem(refused, 422, 'invalid-import-token', 'InvalidImportTokenException');

    const page = await eventually(
      async () => expectOk(await rest.get(`/v1/audit?keyId=${keyId}`)),
      (p) => p.records.some((r: AuditRecord) => r.outcome === 'Refused'),
    );
    const principal = { type: 'User', accountId: OWN, accessKeyId: 'AKIAAUDITED', name: testPrincipalOf('AKIAAUDITED') };
    expect(page.records).toEqual([
      expect.objectContaining({ keyId, type: 'KeyCreated.v1', outcome: 'Succeeded', operation: 'CreateKey', requestId: created.headers.get('x-request-id'), principal }),
      expect.objectContaining({ keyId, type: 'ImportParametersIssued.v1', outcome: 'Succeeded', operation: 'GetParametersForImport', principal }),
      expect.objectContaining({
        type: 'RequestRefused.v1',
        outcome: 'Refused',
        operation: 'ImportKeyMaterial',
        errorType: 'InvalidImportTokenException',
        requestId: refused.headers.get('x-request-id'),
        principal,
      }),
    ]);
    const refusals = expectOk(await rest.get(`/v1/audit?type=RequestRefused.v1&principal=AKIAAUDITED`)).records;
    expect(refusals.map((r: AuditRecord) => r.requestId)).toEqual([refused.headers.get('x-request-id')]);
    // Another account sees none of it.
    expect(expectOk(await restClient(kl.url, sigV4('123456789012')).get(`/v1/audit?principal=AKIAAUDITED`)).records).toEqual([]);
  });
});
