import { type RecordedEvent } from '@keyledger/event-store';
import { DIGEST_STREAM_ID } from './audit-streams';
import { eventHash, PREVIOUS_EVENT_HASH } from './event-chain';
import { digestOf, LogDigest, signDigest } from './log-digest';
import { AuditSigningKey, generateSigningKey } from './signing-key';
import { arrayLog, buildSignedLog, copyOf, KEY_A, KEY_B } from './testing/signed-log-fixture';
import { verifyAuditLog } from './verifier';

const A = `kms-key-${KEY_A}`;
const B = `kms-key-${KEY_B}`;

describe('verifyAuditLog', () => {
  let original: RecordedEvent[];
  let signingKey: AuditSigningKey;
  let digestHashes: string[];
  beforeAll(async () => {
    const log = await buildSignedLog();
    original = log.events;
    signingKey = log.signingKey;
    digestHashes = log.digests.map((d) => d.hash);
  });

  const verify = (events: RecordedEvent[], options: { expectedDigestHashes?: string[]; keys?: AuditSigningKey[] } = {}) =>
    verifyAuditLog(arrayLog(events), { publicKeys: (options.keys ?? [signingKey]).map((k) => k.publicKey), expectedDigestHashes: options.expectedDigestHashes });
  /** A copy of the log with `change` applied to the event at `position`. */
  const tampered = (position: number, change: (event: RecordedEvent) => void): RecordedEvent[] => {
    const events = copyOf(original);
    change(events.find((e) => e.position === position)!);
    return events;
  };

  it('reports OK for the untouched log, with what it could and could not prove', async () => {
    const report = await verify(original, { expectedDigestHashes: digestHashes });
    expect(report).toMatchObject({ ok: true, eventCount: 12, streamCount: 4, digestCount: 2, unchainedEventCount: 0, headPosition: 12, undigestedEventCount: 1, problems: [] });
    expect(report.lastDigest).toMatchObject({ position: 11, toPosition: 10, hash: digestHashes[1] });
    expect(report.warnings).toEqual([expect.stringContaining('1 event(s) after position 10 are not covered by a digest yet')]);
  });

  it('finds an edited payload in the middle of a stream: the edited event, not its successor', async () => {
    const report = await verify(tampered(3, (e) => (e.data.wrappingAlgorithm = 'RSAES_OAEP_SHA_1')));
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'event-modified', position: 3, streamId: A, revision: 1 });
    expect(report.problemCount).toBe(1);
  });

  it('finds an edited metadata field (who did it)', async () => {
    const report = await verify(tampered(8, (e) => ((e.metadata.principal as { accessKeyId: string }).accessKeyId = 'AKIASOMEONEELSE')));
    expect(report.firstProblem).toMatchObject({ kind: 'event-modified', position: 8, streamId: A, revision: 3 });
    expect(report.problemCount).toBe(1);
  });

  it("finds an edited link: the event whose previousEventHash was changed, not its predecessor", async () => {
    const report = await verify(tampered(4, (e) => (e.metadata[PREVIOUS_EVENT_HASH] = 'f'.repeat(64))));
    expect(report.firstProblem).toMatchObject({ kind: 'event-modified', position: 4, streamId: A, revision: 2 });
    expect(report.problemCount).toBe(1);
  });

  it("finds an edited last event of a stream through the digest that signed it (no successor links to it)", async () => {
    const report = await verify(tampered(10, (e) => (e.data.importTokenId = 't-forged')));
    expect(report.firstProblem).toMatchObject({ kind: 'event-modified', position: 10, streamId: A, revision: 4 });
    expect(report.firstProblem!.message).toContain('digest at position 11');
    expect(report.problemCount).toBe(1);
  });

  it('finds an edit even when the chain after it was recomputed, through the signed stream heads', async () => {
    // A careful forger re-links every later event of stream A; only the digests, which it cannot sign, notice.
    const events = tampered(8, (e) => (e.data.keyMaterialId = 'c'.repeat(64)));
    const relinked = events.find((e) => e.position === 10)!;
    relinked.metadata[PREVIOUS_EVENT_HASH] = eventHash(events.find((e) => e.position === 8)!);
    const report = await verify(events);
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'event-modified', streamId: A, revision: 4, position: 10 });
  });

  it('cannot see an edit of the last event after the last digest (documented limit), but says so', async () => {
    const report = await verify(tampered(12, (e) => (e.data.keyMaterialId = 'c'.repeat(64))));
    expect(report.ok).toBe(true);
    expect(report.undigestedEventCount).toBe(1);
  });

  it('finds a deleted event where the gap in its stream shows', async () => {
    const report = await verify(original.filter((e) => e.position !== 3));
    expect(report.firstProblem).toMatchObject({ kind: 'event-missing', position: 4, streamId: A, revision: 1 });
    expect(report.firstProblem!.message).toContain('Revision 1');
    expect(report.problemCount).toBe(1);
  });

  it('finds a deleted last event of a stream through the digest', async () => {
    const report = await verify(original.filter((e) => e.position !== 10));
    expect(report.firstProblem).toMatchObject({ kind: 'event-missing', streamId: A, revision: 4 });
  });

  it('finds events reordered within a stream', async () => {
    const events = copyOf(original);
    const [third, fourth] = [events.find((e) => e.position === 3)!, events.find((e) => e.position === 4)!];
    [third.position, fourth.position] = [4, 3];
    const report = await verify(events);
    expect(report.firstProblem).toMatchObject({ kind: 'event-out-of-order', streamId: A, revision: 1, position: 4 });
    expect(report.problemCount).toBe(1);
  });

  it('finds events of different streams reordered through the signed log head', async () => {
    const events = copyOf(original);
    const [first, second] = [events.find((e) => e.position === 1)!, events.find((e) => e.position === 2)!];
    [first.position, second.position] = [2, 1];
    const report = await verify(events);
    expect(report.firstProblem).toMatchObject({ kind: 'log-order-changed', position: 1 });
    expect(report.problemCount).toBe(1);
  });

  it('finds an inserted event', async () => {
    const events = copyOf(original);
    events.push({ ...copyOf([original[0]])[0], streamId: 'kms-key-intruder', position: 5.5 });
    (events[events.length - 1].metadata as Record<string, unknown>)[PREVIOUS_EVENT_HASH] = null;
    const report = await verify(events);
    expect(report.firstProblem).toMatchObject({ kind: 'event-inserted', streamId: 'kms-key-intruder', position: 5.5 });
  });

  it('finds a stripped link', async () => {
    const report = await verify(tampered(8, (e) => delete e.metadata[PREVIOUS_EVENT_HASH]));
    expect(report.firstProblem).toMatchObject({ kind: 'chain-link-missing', position: 8, streamId: A });
    expect(report.problemCount).toBe(1);
  });

  it('finds a forged digest (its claims changed after signing)', async () => {
    const report = await verify(tampered(7, (e) => ((e.data as unknown as LogDigest).totalEventCount = 5)));
    expect(report.firstProblem).toMatchObject({ kind: 'digest-invalid', position: 7, streamId: DIGEST_STREAM_ID });
    expect(report.firstProblem!.message).toContain('signature does not verify');
  });

  it('finds a digest signed by another key, whichever fingerprint it claims', async () => {
    const mallory = generateSigningKey();
    const resign = (claimed: string) =>
      tampered(11, (e) => {
        const { signature: _old, ...body } = digestOf(e);
        e.data = signDigest({ ...body, publicKeyFingerprint: claimed }, mallory.privateKey) as never;
      });
    const foreign = await verify(resign(mallory.fingerprint));
    expect(foreign.firstProblem).toMatchObject({ kind: 'digest-invalid', position: 11 });
    expect(foreign.firstProblem!.message).toContain('not trusted');
    const impostor = await verify(resign(signingKey.fingerprint));
    expect(impostor.firstProblem).toMatchObject({ kind: 'digest-invalid', position: 11 });
    expect(impostor.firstProblem!.message).toContain('signature does not verify');
    // Trusting Mallory's key too makes the foreign digest verify, but its link to digest #1 and its claims still hold.
    expect((await verify(resign(mallory.fingerprint), { keys: [signingKey, mallory] })).ok).toBe(true);
  });

  it('finds a deleted digest through the link of the next one', async () => {
    const events = original.filter((e) => e.position !== 7);
    const report = await verify(events);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.kind)).toContain('digest-invalid');
  });

  it('finds truncation after the last digest only against a digest hash kept elsewhere', async () => {
    const truncated = original.filter((e) => e.position < 11);
    expect((await verify(truncated)).ok).toBe(true);
    const report = await verify(truncated, { expectedDigestHashes: [digestHashes[1]] });
    expect(report.firstProblem).toMatchObject({ kind: 'digest-missing' });
  });

  it('finds events removed from before a digest it kept', async () => {
    const report = await verify(original.filter((e) => e.position !== 9 && e.position !== 10));
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.kind)).toEqual(expect.arrayContaining(['event-missing']));
  });

  it('accepts a log written before the chain existed, and says what that means', async () => {
    const legacy = copyOf(original).filter((e) => e.streamId !== DIGEST_STREAM_ID);
    legacy.forEach((e) => delete e.metadata[PREVIOUS_EVENT_HASH]);
    const report = await verify(legacy);
    expect(report).toMatchObject({ ok: true, unchainedEventCount: 10, digestCount: 0 });
    expect(report.warnings.join(' ')).toContain('no verified digest');
  });

  it('pages through a long log', async () => {
    const report = await verifyAuditLog(arrayLog(original), { publicKeys: [signingKey.publicKey], pageSize: 2 });
    expect(report).toMatchObject({ ok: true, eventCount: 12, digestCount: 2 });
  });
});
