import { randomUUID } from 'node:crypto';
import { InMemoryEventStore, NO_STREAM } from '@keyledger/event-store';
import { ChainingEventStore } from './chaining-event-store';
import { LogDigestWriter } from './log-digest-writer';
import { generateSigningKey } from './signing-key';

describe('LogDigestWriter.writeFinalDigest', () => {
  const setup = () => {
    const store = new ChainingEventStore(new InMemoryEventStore());
    const signingKey = generateSigningKey();
    const writer = () => new LogDigestWriter({ store, signingKey, now: Date.now, newId: randomUUID });
    return { store, writer };
  };

  it('signs up to the head even after losing a race to another instance, so nothing it wrote stays unsigned', async () => {
    const { store, writer } = setup();
    const [ours, theirs] = [writer(), writer()];
    await store.appendToStream('s', [{ type: 'A.v1', data: {}, metadata: {} }], NO_STREAM);
    await ours.pendingPositions(); // both have loaded "no digest yet"
    await theirs.pendingPositions();
    const winner = (await theirs.writeDigest())!;
    await store.appendToStream('s', [{ type: 'A.v1', data: {}, metadata: {} }], 0); // ours, after their digest
    const final = (await ours.writeFinalDigest())!;
    expect(final.digest.previousDigestHash).toBe(winner.hash);
    expect(final.digest.toPosition).toBe(await store.headPosition() - 1);
    expect(await ours.pendingPositions()).toBe(1); // only the final digest itself follows
  });

  it('signs nothing when nothing is new', async () => {
    const { store, writer } = setup();
    await store.appendToStream('s', [{ type: 'A.v1', data: {}, metadata: {} }], NO_STREAM);
    const w = writer();
    expect(await w.writeFinalDigest()).toBeDefined();
    expect(await w.writeFinalDigest()).toBeUndefined();
  });
});

describe('LogDigestWriter.writeDigest over a long range', () => {
  it('gives the event loop back while it hashes, and still covers the whole range', async () => {
    const store = new ChainingEventStore(new InMemoryEventStore());
    // Big events, like usage batches: hashing 300 of them takes far longer than one slice.
    const records = Array.from({ length: 75 }, (_, i) => ({ requestId: randomUUID(), operation: 'Encrypt', n: i, outcome: 'Succeeded' }));
    for (let revision = NO_STREAM; revision < 299; revision++) {
      await store.appendToStream('kms-usage-x', [{ type: 'KeyUsageRecorded.v1', data: { records }, metadata: {} }], revision);
    }
    const signingKey = generateSigningKey();
    const writer = new LogDigestWriter({ store, signingKey, now: () => 0, newId: randomUUID });

    let timerRan = false;
    setImmediate(() => (timerRan = true));
    const signed = (await writer.writeDigest())!;
    expect(timerRan).toBe(true); // without yielding, the in-memory store's reads never let it run first

    expect(signed.digest).toMatchObject({ fromPosition: 0, toPosition: 300, eventCount: 300 });
    expect(await writer.pendingPositions()).toBe(1); // only the digest itself follows what it covered
  });
});
