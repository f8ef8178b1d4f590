import { randomUUID } from 'node:crypto';
import { ChainingEventStore, generateSigningKey, LogDigestWriter } from '@keyledger/audit';
import { InMemoryEventStore, NO_STREAM } from '@keyledger/event-store';
import { AuditVerification } from './audit-verification';

describe('AuditVerification', () => {
  it('serves other work while it verifies a long log, and still verifies all of it', async () => {
    const store = new ChainingEventStore(new InMemoryEventStore());
    const records = Array.from({ length: 75 }, (_, n) => ({ requestId: randomUUID(), operation: 'Encrypt', n }));
    for (let revision = NO_STREAM; revision < 199; revision++) {
      await store.appendToStream('kms-usage-x', [{ type: 'KeyUsageRecorded.v1', data: { records }, metadata: {} }], revision);
    }
    const signingKey = generateSigningKey();
    await new LogDigestWriter({ store, signingKey, now: () => 0, newId: randomUUID }).writeDigest();
    const verification = new AuditVerification(store, { signingKey, intervalMs: 60_000, everyEvents: 0 });

    let servedMeanwhile = false;
    setImmediate(() => (servedMeanwhile = true));
    const { report, problems } = await verification.verifyFor('000000000000');
    expect(servedMeanwhile).toBe(true); // the in-memory store never yields by itself

    expect(problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, eventCount: 201, digestCount: 1 });
  });
});
