import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { usageRecordsOf } from '../../libs/application/src/usage/usage-batch';
import { EventStoreDbDouble, startEventStoreDbDouble } from '../../libs/event-store/src/testing/eventstoredb-double';
import { eventually, LoggedEvent } from '../support/event-log';
import { readEventStoreDbLog } from '../support/eventstoredb-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { restCall } from '../support/rest-client';

/**
 * The event store goes away under load and comes back (the security issue's requirement): requests answer
 * DependencyTimeoutException (HTTP 500, a server fault the SDKs retry) within the store timeout, never hang;
 * /health says what is wrong; the service recovers by itself once the store is back (requests succeed, read
 * models resume); and every write acknowledged before, during or after the outage is in the log exactly once.
 *
 * The store is the in-process EventStoreDB protocol DOUBLE (libs/event-store/src/testing/eventstoredb-double),
 * taken off the network with `shutDown()` (every connection and call ends, the port refuses connections, as a
 * crashed node's would) and brought back with `restart()` on the same port with the same log. A hung node
 * (calls accepted, never answered) is `stall()`.
 *
 * What the SDK sees during the outage is always an HTTP answer from the service, never a connection-level error:
 * only the store is gone, so every failure must be DependencyTimeoutException ($fault 'server', HTTP 500).
 * Clients are made with maxAttempts 1 (the harness), so the SDK's own retries do not hide a failure.
 */

const STORE_TIMEOUT_MS = 1500;
/** How long a use may be answered from a key state this instance confirmed (KEYLEDGER_KEY_STATE_TRUST_MS), outage or not. */
const KEY_STATE_TRUST_MS = 500;
/** What a failing request may take at most: the store timeout, plus the slack the requirement allows. */
const FAILURE_BOUND_MS = STORE_TIMEOUT_MS + 1000;
/**
 * What any request may take at most. A write that succeeds waits for the read models for up to 5 s
 * (READ_YOUR_WRITES_TIMEOUT_MS in key-command-executor.ts) before answering anyway, so successes get that too.
 */
const ANY_REQUEST_BOUND_MS = STORE_TIMEOUT_MS + 5000 + 1000;
/** A request still unanswered after this is reported as hung (the test fails). */
const HUNG_AFTER_MS = 20_000;

type Operation = 'CreateKey' | 'Encrypt' | 'DisableKey';

interface Outcome {
  operation: Operation;
  worker: number;
  startedAt: number;
  endedAt: number;
  ok: boolean;
  requestId?: string;
  /** CreateKey: the acknowledged key. */
  keyId?: string;
  error?: { name: string; fault?: string; httpStatusCode?: number; message: string };
}

describe('Keyledger when its event store (EventStoreDB protocol double) fails under load', () => {
  let double: EventStoreDbDouble;
  let kl: RunningKeyledger;
  let kms: KMSClient;
  const masterKey = randomBytes(32).toString('base64');

  beforeAll(async () => {
    double = await startEventStoreDbDouble();
    kl = await startKeyledger({
      env: {
        KEYLEDGER_EVENTSTORE_URL: double.connectionString,
        KEYLEDGER_MASTER_KEY: masterKey,
        KEYLEDGER_INSTANCE_ID: 'store-faults',
        KEYLEDGER_STORE_TIMEOUT_MS: String(STORE_TIMEOUT_MS),
        KEYLEDGER_KEY_STATE_TRUST_MS: String(KEY_STATE_TRUST_MS),
      },
    });
    kms = kl.client();
  });

  afterAll(async () => {
    await double?.restart();
    double?.unstall();
    await kl?.destroy();
    await double?.stop();
  });

  /** Sends one request and records how it ended and when; a request that never ends is recorded as hung. */
  async function timed(worker: number, operation: Operation, send: () => Promise<{ $metadata: { requestId?: string } } & { KeyMetadata?: { KeyId?: string } }>): Promise<Outcome> {
    const startedAt = Date.now();
    let hung: NodeJS.Timeout | undefined;
    try {
      const reply = await Promise.race([
        send(),
        new Promise<never>((_resolve, reject) => (hung = setTimeout(() => reject(Object.assign(new Error('no answer'), { name: 'HUNG' })), HUNG_AFTER_MS))),
      ]);
      return { operation, worker, startedAt, endedAt: Date.now(), ok: true, requestId: reply.$metadata.requestId, keyId: reply.KeyMetadata?.KeyId };
    } catch (error) {
      const e = error as Error & { $fault?: string; $metadata?: { httpStatusCode?: number; requestId?: string } };
      return {
        operation,
        worker,
        startedAt,
        endedAt: Date.now(),
        ok: false,
        requestId: e.$metadata?.requestId,
        error: { name: e.name, fault: e.$fault, httpStatusCode: e.$metadata?.httpStatusCode, message: e.message },
      };
    } finally {
      clearTimeout(hung);
    }
  }

  /**
   * `workers` loops alternating CreateKey and Encrypt (under the key the worker created last, or `baseKeyId`)
   * until `until()` says stop, with a short pause between requests to keep the load bounded.
   */
  function runLoad(workers: number, baseKeyId: string, until: () => boolean, outcomes: Outcome[]): Promise<Outcome[]> {
    const worker = async (id: number) => {
      let keyId = baseKeyId;
      for (let i = 0; !until(); i += 1) {
        const outcome =
          i % 2 === 0
            ? await timed(id, 'CreateKey', () => kms.send(new CreateKeyCommand({ Description: `load ${id}.${i}` })))
            : await timed(id, 'Encrypt', () => kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(`payload ${id}.${i}`) })));
        outcomes.push(outcome);
        if (outcome.ok && outcome.keyId) keyId = outcome.keyId;
        await sleep(50);
      }
    };
    return Promise.all(Array.from({ length: workers }, (_, id) => worker(id))).then(() => outcomes);
  }

  const health = async () => {
    const startedAt = Date.now();
    const response = await fetch(`${kl.url}/health`);
    return { status: response.status, body: (await response.json()) as any, tookMs: Date.now() - startedAt };
  };

  const describeKey = async (keyId: string) => (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;

  it('answers DependencyTimeoutException while the store is down, never hangs, recovers by itself and loses no acknowledged write', async () => {
    const baseKeyId = (await kms.send(new CreateKeyCommand({ Description: 'base' }))).KeyMetadata!.KeyId!;
    expect((await health()).body).toMatchObject({ status: 'ok', eventStore: { kind: 'eventstoredb', reachable: true } });

    const loadStartedAt = Date.now();
    let stopLoad = false;
    const outcomes: Outcome[] = [];
    const load = runLoad(4, baseKeyId, () => stopLoad, outcomes);

    // Phase 1: the store is up.
    await sleep(1500);

    // Phase 2: the store goes away in the middle of the load.
    await double.shutDown();
    const outageStartedAt = Date.now();
    await sleep(300);
    const degraded = await health();
    expect(degraded.status).toBe(503);
    expect(degraded.body).toMatchObject({ status: 'degraded', eventStore: { kind: 'eventstoredb', reachable: false, error: 'unreachable' } });
    expect(degraded.tookMs).toBeLessThan(FAILURE_BOUND_MS);
    // REST answers the same condition as a 503 problem with Retry-After.
    const rest = await restCall(kl.url, 'POST', '/v1/keys', { body: {} });
    expect(rest.status).toBe(503);
    expect(rest.headers.get('retry-after')).toBe('1');
    expect(rest.body).toMatchObject({ type: 'urn:keyledger:problem:dependency-unavailable', status: 503, awsErrorType: 'DependencyTimeoutException', reason: 'unreachable' });
    await sleep(2200);

    // Phase 3: the store comes back on the same port with the same log; nothing is done to the service.
    const outageEndedAt = Date.now();
    await double.restart();
    const healthy = await eventually(health, (h) => h.status === 200, 10_000);
    const recoveredInMs = Date.now() - outageEndedAt;
    expect(healthy.body).toMatchObject({ status: 'ok', eventStore: { reachable: true } });
    // Phase 4: load on the recovered service, for a while and until at least 200 requests were made in all.
    await eventually(() => outcomes.length >= 200 && Date.now() - outageEndedAt >= 2500, Boolean, 20_000);
    stopLoad = true;
    await load;
    const loadMs = Date.now() - loadStartedAt;

    // A key created right after the recovery is visible at once: the read models are fed again.
    const fresh = (await kms.send(new CreateKeyCommand({ Description: 'after recovery' }))).KeyMetadata!;
    expect(await describeKey(fresh.KeyId!)).toMatchObject({ KeyId: fresh.KeyId, KeyState: 'Enabled' });

    // --- Every request ended, within its bound, and failed only with DependencyTimeoutException.
    const failures = outcomes.filter((o) => !o.ok);
    const summary = {
      requests: outcomes.length,
      succeeded: outcomes.length - failures.length,
      failed: failures.length,
      failureNames: [...new Set(failures.map((f) => f.error!.name))],
      slowestFailureMs: Math.max(0, ...failures.map((f) => f.endedAt - f.startedAt)),
      slowestRequestMs: Math.max(...outcomes.map((o) => o.endedAt - o.startedAt)),
      recoveredInMs,
      loadMs,
    };
    console.log('store-faults load', JSON.stringify(summary));
    expect(outcomes.length).toBeGreaterThanOrEqual(200);
    expect(failures.filter((f) => f.error!.name === 'HUNG')).toEqual([]);
    for (const failure of failures) {
      expect(failure.error).toMatchObject({ name: 'DependencyTimeoutException', fault: 'server', httpStatusCode: 500 });
      expect(failure.error!.message).toMatch(/^The system timed out while trying to fulfill the request: the event store (could not be reached|did not answer in time)\. The request can be retried\.$/);
      expect(failure.endedAt - failure.startedAt).toBeLessThan(FAILURE_BOUND_MS);
    }
    for (const outcome of outcomes) expect(outcome.endedAt - outcome.startedAt).toBeLessThan(ANY_REQUEST_BOUND_MS);

    // Requests made entirely within the outage failed; the store's absence was noticed. The exception: an Encrypt
    // under a key whose state this instance had confirmed less than KEY_STATE_TRUST_MS before is answered from its
    // cache, as it would be without an outage (the staleness the README states); no later one is.
    const duringOutage = outcomes.filter((o) => o.startedAt >= outageStartedAt && o.endedAt <= outageEndedAt);
    expect(duringOutage.length).toBeGreaterThanOrEqual(20);
    const pastTrust = (o: Outcome) => o.startedAt > outageStartedAt + KEY_STATE_TRUST_MS;
    expect(duringOutage.filter((o) => o.ok && (o.operation !== 'Encrypt' || pastTrust(o)))).toEqual([]);
    expect(duringOutage.filter((o) => o.operation === 'Encrypt' && pastTrust(o)).length).toBeGreaterThanOrEqual(5);
    // Requests before the outage and once the service saw the store back all succeeded.
    expect(outcomes.filter((o) => o.endedAt < outageStartedAt && !o.ok)).toEqual([]);
    expect(outcomes.filter((o) => o.startedAt > outageEndedAt + recoveredInMs && !o.ok)).toEqual([]);
    expect(outcomes.filter((o) => o.startedAt > outageEndedAt + recoveredInMs && o.ok).length).toBeGreaterThanOrEqual(20);

    // --- The log: every acknowledged write is there exactly once.
    const acknowledgedKeys = outcomes.filter((o) => o.ok && o.operation === 'CreateKey').map((o) => o.keyId!);
    const acknowledgedUses = outcomes.filter((o) => o.ok && o.operation === 'Encrypt').map((o) => o.requestId!);
    expect(new Set(acknowledgedKeys).size).toBe(acknowledgedKeys.length);
    // Usage is recorded in the background, in batches retried until the store takes them.
    const log = await eventually(
      () => readEventStoreDbLog(double.connectionString),
      (events) => acknowledgedUses.every((id) => usageRecords(events).some((r) => r.requestId === id)),
      15_000,
    );
    // No (stream, revision) twice: nothing was appended twice.
    const slots = log.map((e) => `${e.streamId}@${e.revision}`);
    expect(new Set(slots).size).toBe(slots.length);
    const keyStreams = new Map<string, LoggedEvent[]>();
    for (const event of log.filter((e) => e.streamId.startsWith('kms-key-'))) {
      keyStreams.set(event.streamId, [...(keyStreams.get(event.streamId) ?? []), event]);
    }
    const typesOfHealthyKey = keyStreams.get(`kms-key-${baseKeyId}`)!.map((e) => e.type);
    expect(typesOfHealthyKey.filter((t) => t === 'KeyCreated.v1')).toHaveLength(1);
    for (const keyId of acknowledgedKeys) {
      expect({ keyId, types: keyStreams.get(`kms-key-${keyId}`)?.map((e) => e.type) }).toEqual({ keyId, types: typesOfHealthyKey });
    }
    // Keys the log has and no one was told about: CreateKeys whose append landed but whose answer was lost.
    const unacknowledged = [...keyStreams.keys()].filter((s) => ![baseKeyId, fresh.KeyId!, ...acknowledgedKeys].some((id) => s === `kms-key-${id}`));
    expect(unacknowledged.length).toBeLessThanOrEqual(failures.filter((f) => f.operation === 'CreateKey').length);
    // Each acknowledged use is recorded exactly once; no failed request is recorded as a use.
    const records = usageRecords(log);
    for (const id of acknowledgedUses) expect(records.filter((r) => r.requestId === id)).toHaveLength(1);
    const failedIds = new Set(failures.map((f) => f.requestId).filter(Boolean));
    expect(records.filter((r) => failedIds.has(r.requestId) && r.outcome === 'Succeeded')).toEqual([]);
    console.log('store-faults log', JSON.stringify({ keyStreams: keyStreams.size, acknowledgedKeys: acknowledgedKeys.length, unacknowledgedKeys: unacknowledged.length, usageRecords: records.length, acknowledgedUses: acknowledgedUses.length }));
  });

  it('answers within the store timeout when the store hangs, and never acknowledges an append whose answer it did not get', async () => {
    const keyId = (await kms.send(new CreateKeyCommand({ Description: 'before the hang' }))).KeyMetadata!.KeyId!;
    await eventually(health, (h) => h.status === 200);

    // A: the node accepts every call and answers none.
    double.stall();
    const hung = await Promise.all([
      timed(0, 'CreateKey', () => kms.send(new CreateKeyCommand({ Description: 'during the hang' }))),
      timed(1, 'Encrypt', () => kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('during the hang') }))),
    ]);
    const degraded = await health();
    for (const outcome of hung) {
      expect(outcome).toMatchObject({ ok: false, error: { name: 'DependencyTimeoutException', fault: 'server', httpStatusCode: 500 } });
      expect(outcome.endedAt - outcome.startedAt).toBeGreaterThanOrEqual(STORE_TIMEOUT_MS - 50);
      expect(outcome.endedAt - outcome.startedAt).toBeLessThan(FAILURE_BOUND_MS);
    }
    expect(degraded.status).toBe(503);
    expect(degraded.body).toMatchObject({ status: 'degraded', eventStore: { reachable: false, error: 'timeout' } });
    expect(degraded.tookMs).toBeLessThan(FAILURE_BOUND_MS);
    double.unstall();
    await eventually(health, (h) => h.status === 200, 10_000);

    // B: reads are answered; appends are WRITTEN but their answers withheld, so their outcome is unknown to the
    // service. (An EXTERNAL key: creating one stores no material, so only the event log is involved.)
    double.stall({ commitWrites: true, reads: false });
    const [created, disabled] = await Promise.all([
      timed(0, 'CreateKey', () => kms.send(new CreateKeyCommand({ Description: 'outcome unknown', Origin: 'EXTERNAL' }))),
      timed(1, 'DisableKey', () => kms.send(new DisableKeyCommand({ KeyId: keyId }))),
    ]);
    for (const outcome of [created, disabled]) {
      expect(outcome).toMatchObject({ ok: false, error: { name: 'DependencyTimeoutException', fault: 'server', httpStatusCode: 500 } });
      expect(outcome.endedAt - outcome.startedAt).toBeLessThan(FAILURE_BOUND_MS);
    }
    double.unstall();
    await eventually(health, (h) => h.status === 200, 10_000);

    // The client retries the refused DisableKey: the service re-decides against the stream, which already holds
    // the lost append's KeyDisabled, so the retry succeeds without writing it again.
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    expect(await eventually(() => describeKey(keyId), (m) => m.KeyState === 'Disabled')).toMatchObject({ Enabled: false });
    const after = (await kms.send(new CreateKeyCommand({ Description: 'after the hang' }))).KeyMetadata!;
    expect(await describeKey(after.KeyId!)).toMatchObject({ KeyState: 'Enabled' });

    const log = await readEventStoreDbLog(double.connectionString);
    const slots = log.map((e) => `${e.streamId}@${e.revision}`);
    expect(new Set(slots).size).toBe(slots.length);
    expect(log.filter((e) => e.streamId === `kms-key-${keyId}`).map((e) => e.type)).toEqual(['KeyCreated.v1', 'KeyDisabled.v1']);
    // The key created with the withheld answer exists once, whole; it was never reported as created.
    const unknown = log.filter((e) => e.type === 'KeyCreated.v1' && (e.data as { description?: unknown }).description === 'outcome unknown');
    expect(unknown).toHaveLength(1);
    expect(log.filter((e) => e.streamId === unknown[0].streamId).map((e) => e.type)).toEqual(['KeyCreated.v1']);
    // Nothing from phase A was written: its requests failed before they reached an append.
    expect(log.filter((e) => (e.data as { description?: unknown }).description === 'during the hang')).toEqual([]);
  });
});

function usageRecords(log: LoggedEvent[]): Array<{ requestId: string; outcome: string }> {
  return log.flatMap((e) => (usageRecordsOf(e) ?? []) as Array<{ requestId: string; outcome: string }>);
}
