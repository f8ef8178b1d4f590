import { randomUUID } from 'node:crypto';
import { InMemoryEventStore, NO_STREAM, type RecordedEvent } from '@keyledger/event-store';
import { DIGEST_STREAM_ID } from './audit-streams';
import { ChainingEventStore } from './chaining-event-store';
import { eventHash, LOG_HEAD_GENESIS, nextLogHead } from './event-chain';
import { DigestAccumulator, digestHash, digestOf, digestSignatureValid, LOG_START, signDigest, startAfter } from './log-digest';
import { LogDigestWriter } from './log-digest-writer';
import { generateSigningKey } from './signing-key';

const recorded = (position: number, streamId: string, revision: number): RecordedEvent => ({
  position,
  streamId,
  revision,
  type: 'Something.v1',
  data: { position },
  metadata: {},
  recordedAt: 0,
});

describe('digests', () => {
  const key = generateSigningKey();

  it('accumulate the log head, the counts and the last event of every stream in the range', () => {
    const events = [recorded(1, 'a', 0), recorded(2, 'b', 0), recorded(3, 'a', 1)];
    const accumulator = new DigestAccumulator(LOG_START);
    events.forEach((e) => accumulator.add(e));
    const body = accumulator.body(null, key.fingerprint, '2026-11-22T10:00:00.000Z');
    const head = events.reduce((h, e) => nextLogHead(h, eventHash(e)), LOG_HEAD_GENESIS);
    expect(body).toEqual({
      version: 1,
      fromPosition: 0,
      toPosition: 3,
      eventCount: 3,
      totalEventCount: 3,
      logHead: head,
      streamHeads: { a: { revision: 1, eventHash: eventHash(events[2]) }, b: { revision: 0, eventHash: eventHash(events[1]) } },
      previousDigestHash: null,
      publicKeyFingerprint: key.fingerprint,
      signedAt: '2026-11-22T10:00:00.000Z',
    });
    expect(() => accumulator.add(recorded(3, 'c', 0))).toThrow(RangeError);

    // The next range continues from what this one signed.
    const next = new DigestAccumulator(startAfter(signDigest(body, key.privateKey)));
    next.add(recorded(4, 'b', 1));
    expect(next.body('x', key.fingerprint, 't')).toMatchObject({ fromPosition: 3, toPosition: 4, eventCount: 1, totalEventCount: 4, logHead: nextLogHead(head, eventHash(recorded(4, 'b', 1))) });
  });

  it('are signed over every field, verify with the public key only, and their hash covers the signature', () => {
    const accumulator = new DigestAccumulator(LOG_START);
    accumulator.add(recorded(1, 'a', 0));
    const digest = signDigest(accumulator.body(null, key.fingerprint, '2026-11-22T10:00:00.000Z'), key.privateKey);
    expect(digestSignatureValid(digest, key.publicKey)).toBe(true);
    expect(digestSignatureValid({ ...digest, eventCount: 2 }, key.publicKey)).toBe(false);
    expect(digestSignatureValid({ ...digest, streamHeads: {} }, key.publicKey)).toBe(false);
    expect(digestSignatureValid({ ...digest, signature: 'AAAA' }, key.publicKey)).toBe(false);
    expect(digestSignatureValid(digest, generateSigningKey().publicKey)).toBe(false);
    const resigned = signDigest({ ...digest, signedAt: '2026-11-22T10:00:01.000Z' }, key.privateKey);
    expect(digestHash(resigned)).not.toBe(digestHash(digest));
  });
});

describe('LogDigestWriter', () => {
  const setup = () => {
    const inner = new InMemoryEventStore();
    const store = new ChainingEventStore(inner);
    const signingKey = generateSigningKey();
    const writer = () => new LogDigestWriter({ store, signingKey, now: () => Date.parse('2026-11-22T10:00:00Z'), newId: randomUUID });
    return { store, signingKey, writer };
  };

  it('writes nothing for an empty log, then chains each digest to the previous one', async () => {
    const { store, signingKey, writer } = setup();
    const w = writer();
    expect(await w.writeDigest()).toBeUndefined();
    await store.appendToStream('s', [{ type: 'A.v1', data: {}, metadata: {} }], NO_STREAM);
    const first = (await w.writeDigest())!;
    expect(first.digest).toMatchObject({ fromPosition: 0, toPosition: 1, eventCount: 1, previousDigestHash: null });
    expect(digestSignatureValid(first.digest, signingKey.publicKey)).toBe(true);
    // Only our own digest since: nothing to sign.
    expect(await w.writeDigest()).toBeUndefined();
    expect(await w.pendingPositions()).toBe(1);
    await store.appendToStream('s', [{ type: 'A.v1', data: {}, metadata: {} }], 0);
    const second = (await w.writeDigest())!;
    expect(second.digest).toMatchObject({ fromPosition: 1, toPosition: 3, eventCount: 2, totalEventCount: 3, previousDigestHash: first.hash });
    expect(Object.keys(second.digest.streamHeads).sort()).toEqual([DIGEST_STREAM_ID, 's']);
    expect(await w.lastSignedAt()).toBe(Date.parse('2026-11-22T10:00:00Z'));
    const stored = await store.readStream(DIGEST_STREAM_ID);
    expect(stored.map((e) => digestOf(e))).toEqual([first.digest, second.digest]);
    expect(stored[1].metadata).toMatchObject({ principal: { type: 'Service', invokedBy: 'keyledger-audit-digest' }, operation: 'SignLogDigest' });
  });

  it('never forks the digest chain when two writers race: the loser reloads and continues from the winner', async () => {
    const { store, writer } = setup();
    const a = writer();
    const b = writer();
    await store.appendToStream('s', [{ type: 'A.v1', data: {}, metadata: {} }], NO_STREAM);
    await a.pendingPositions();
    await b.pendingPositions(); // both have loaded "no digest yet"
    const winner = (await a.writeDigest())!;
    expect(await b.writeDigest()).toBeUndefined();
    await store.appendToStream('s', [{ type: 'A.v1', data: {}, metadata: {} }], 0);
    const next = (await b.writeDigest())!;
    expect(next.digest.previousDigestHash).toBe(winner.hash);
    expect(next.digest.fromPosition).toBe(winner.digest.toPosition);
  });

  it('warns when the last digest in the log no longer verifies with its key', async () => {
    const { store, signingKey } = setup();
    await store.appendToStream('s', [{ type: 'A.v1', data: {}, metadata: {} }], NO_STREAM);
    const forged = signDigest({ ...(await new LogDigestWriter({ store, signingKey, now: Date.now, newId: randomUUID }).writeDigest())!.digest }, generateSigningKey().privateKey);
    await store.appendToStream(DIGEST_STREAM_ID, [{ type: 'LogDigest.v1', data: forged as never, metadata: {} }], 0);
    const warnings: string[] = [];
    await new LogDigestWriter({ store, signingKey, now: Date.now, newId: randomUUID, onWarning: (m) => warnings.push(m) }).pendingPositions();
    expect(warnings).toHaveLength(1);
  });
});
