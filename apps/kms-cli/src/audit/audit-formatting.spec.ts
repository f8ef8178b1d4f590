import type { RecordedEvent } from '@keyledger/event-store';
import { auditFilter } from '../export/audit-filter';
import { csvField } from '../export/audit-formats';
import { keyStateAt } from '../state/key-state-at';
import { toAuditRow } from './audit-row';
import { summarizeEvent } from './event-summary';
import { printable, renderTable } from './text-table';

const KEY = '0f0e0d0c-0b0a-4908-8706-050403020100';
const MATERIAL_ID = '3f2a9c01' + 'a'.repeat(56);
const metadata = (operation: string, timestamp: string, principal: object = { type: 'User', accountId: '000000000000', accessKeyId: 'test' }) => ({
  accountId: '000000000000',
  region: 'us-east-1',
  principal,
  requestId: `req-${operation}`,
  correlationId: `req-${operation}`,
  causationId: `req-${operation}`,
  operation,
  timestamp,
});
const event = (revision: number, type: string, data: object, meta: object, streamId = `kms-key-${KEY}`): RecordedEvent => ({
  streamId,
  revision,
  position: revision + 1,
  type,
  data: data as RecordedEvent['data'],
  metadata: meta as RecordedEvent['metadata'],
  recordedAt: Date.parse('2026-11-22T10:00:00.000Z') + revision,
});

const stream: RecordedEvent[] = [
  event(0, 'KeyCreated.v1', {
    keyId: KEY, arn: `arn:aws:kms:us-east-1:000000000000:key/${KEY}`, accountId: '000000000000', region: 'us-east-1', description: 'orders',
    keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'EXTERNAL', multiRegion: false, creationDate: '2026-11-22T10:00:00.000Z',
  }, metadata('CreateKey', '2026-11-22T10:00:00.000Z')),
  event(1, 'ImportParametersIssued.v1', {
    importTokenId: '9b1c44e2-0000-4000-8000-000000000000', wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048',
    parametersValidTo: '2026-11-23T10:01:00.000Z', publicKeyFingerprint: 'f'.repeat(64),
  }, metadata('GetParametersForImport', '2026-11-22T10:01:00.000Z')),
  event(2, 'KeyMaterialImported.v1', {
    keyMaterialId: MATERIAL_ID, importType: 'NEW_KEY_MATERIAL', reimport: false, materialState: 'CURRENT', expirationModel: 'KEY_MATERIAL_EXPIRES',
    validTo: '2027-09-21T19:00:00.000Z', importTokenId: '9b1c44e2-0000-4000-8000-000000000000', wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048',
  }, metadata('ImportKeyMaterial', '2026-11-22T10:02:00.000Z')),
  event(3, 'KeyMaterialExpired.v1', { keyMaterialId: MATERIAL_ID, validTo: '2027-09-21T19:00:00.000Z' },
    metadata('DeleteExpiredKeyMaterial', '2027-09-21T19:00:00.500Z', { type: 'Service', accountId: '000000000000', invokedBy: 'keyledger-expiry' })),
];
const refusal = event(0, 'RequestRefused.v1', { operation: 'ImportKeyMaterial', keyId: KEY, errorType: 'ExpiredImportTokenException', errorMessage: 'The import token expired.', parameters: {} },
  metadata('ImportKeyMaterial', '2026-11-25T00:00:00.000Z', { type: 'User', accountId: '000000000000', accessKeyId: 'late' }), `kms-refusals-${KEY}`);

describe('audit formatting', () => {
  it('summarizes each event type in one line', () => {
    expect([...stream, refusal].map(summarizeEvent)).toEqual([
      'created SYMMETRIC_DEFAULT ENCRYPT_DECRYPT origin EXTERNAL "orders"',
      'import parameters issued RSA_2048/RSAES_OAEP_SHA_256 valid to 2026-11-23T10:01:00.000Z (token 9b1c44e2…)',
      'imported material 3f2a9c01… EXPIRES 2027-09-21T19:00:00.000Z wrapped RSA_2048/RSAES_OAEP_SHA_256',
      'material 3f2a9c01… expired (valid to 2027-09-21T19:00:00.000Z)',
      'refused: ExpiredImportTokenException "The import token expired."',
    ]);
    expect(summarizeEvent(event(0, 'SomethingNew.v1', { a: 1 }, {}, 'other'))).toBe('{"a":1}');
  });

  it('names the principal by access key, or service:<name> for Keyledger’s own jobs; refusals carry the error', () => {
    expect(toAuditRow(stream[3])).toMatchObject({ principalName: 'service:keyledger-expiry', outcome: 'Succeeded', keyId: KEY, time: '2027-09-21T19:00:00.500Z' });
    expect(toAuditRow(refusal)).toMatchObject({ principalName: 'late', outcome: 'Refused', keyId: KEY, errorType: 'ExpiredImportTokenException' });
  });

  it('keeps every table cell on one line and free of terminal escape sequences', () => {
    expect(printable('evil\u001b[31m\nred\u009b')).toBe('evil\\u001b[31m\\u000ared\\u009b');
    expect(renderTable(['A', 'B'], [['x\ny', 'last']])).toEqual(['A         B', 'x\\u000ay  last']);
  });

  it('quotes CSV fields only when needed', () => {
    expect([csvField('plain'), csvField('a,b'), csvField('say "hi"'), csvField('two\nlines'), csvField(undefined), csvField(3)]).toEqual([
      'plain', '"a,b"', '"say ""hi"""', '"two\nlines"', '', '3',
    ]);
  });

  it('filters by type with or without version, by principal or service name, and by [from, to)', () => {
    const pick = (filter: Parameters<typeof auditFilter>[0]) => [...stream, refusal].filter(auditFilter(filter)).map((e) => e.type);
    expect(pick({ types: ['KeyCreated', 'KeyMaterialExpired.v1'] })).toEqual(['KeyCreated.v1', 'KeyMaterialExpired.v1']);
    expect(pick({ principal: 'keyledger-expiry' })).toEqual(['KeyMaterialExpired.v1']);
    expect(pick({ principal: 'service:keyledger-expiry' })).toEqual(['KeyMaterialExpired.v1']);
    expect(pick({ from: Date.parse('2026-11-22T10:01:00.000Z'), to: Date.parse('2026-11-22T10:02:00.000Z') })).toEqual(['ImportParametersIssued.v1']);
    expect(pick({ keyId: KEY })).toHaveLength(5);
  });

  it('folds a stream up to a moment: material is gone at ValidTo even before KeyMaterialExpired is recorded', () => {
    const at = (iso: string) => keyStateAt(KEY, stream, { asOf: Date.parse(iso) }).metadata.KeyState;
    expect(at('2026-11-22T10:01:30.000Z')).toBe('PendingImport');
    expect(at('2026-11-22T10:02:00.000Z')).toBe('Enabled');
    expect(at('2027-09-21T19:00:00.000Z')).toBe('PendingImport');
    expect(keyStateAt(KEY, stream, { asOf: Date.parse('2027-09-21T19:00:00.000Z') }).revision).toBe(2);
    expect(() => keyStateAt(KEY, stream, { asOf: 0 })).toThrow(`Key '${KEY}' did not exist yet at 1970-01-01T00:00:00.000Z (created 2026-11-22T10:00:00.000Z).`);
  });
});
