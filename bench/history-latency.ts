import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ChainingEventStore } from '@keyledger/audit';
import { KeyEventTypes, keyStreamId } from '@keyledger/domain';
import { type JsonObject, type NewEvent, type RecordedEvent, SqliteEventStore } from '@keyledger/event-store';
import { wrapForImport } from '../test/support/client-wrapping';
import { AwsJsonClient } from './aws-json';
import { BenchConfig } from './config';
import { CpuMeter, CpuUse } from './cpu';
import { LatencyStats, now, runClosedLoop, summarize } from './measure';
import { waitForServiceIdle } from './scenarios';
import { ServiceProcess } from './service-process';

/**
 * Encrypt and ImportKeyMaterial latency against the length of a key's history. Each key is a real EXTERNAL key
 * with material imported through the service (so its material is in the vault); with the service stopped, its
 * stream is then extended to the target length with re-import pairs (ImportParametersIssued →
 * KeyMaterialImported, EXISTING_KEY_MATERIAL), copies of the real events with fresh ids and times, appended
 * through the service's own hash-chaining SqliteEventStore: what a client re-importing in a loop leaves behind.
 * The service is then started again on that data directory and measured.
 */

export interface HistoryLatencyRow {
  /** Target length asked for (BENCH_HISTORY_LATENCY_EVENTS). */
  target: number;
  /** Events in the key's stream when its measurements started. */
  events: number;
  encrypt: LatencyStats;
  encryptPerSecond: number;
  encryptErrors: number;
  encryptCpu: CpuUse;
  /** ImportKeyMaterial of the same material (GetParametersForImport and the wrap before it not timed). */
  importKeyMaterial: LatencyStats;
  importErrors: number;
  firstError?: string;
}

export interface HistoryLatencyResults {
  seconds: number;
  plaintextBytes: number;
  /** Appending the synthetic events (all keys), seconds. */
  extendSeconds: number;
  appended: number;
  /** Service start-up on the extended data directory (read models catch up after /health; waited for idle). */
  startupMs: number;
  rows: HistoryLatencyRow[];
}

interface PreparedKey {
  keyId: string;
  target: number;
  material: Buffer;
  events: number;
}

const ONE_DAY_MS = 24 * 3600 * 1000;
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** GetParametersForImport, then the wrapped material for it (neither timed by the caller). */
async function importRequest(client: AwsJsonClient, keyId: string, material: Buffer): Promise<Record<string, unknown>> {
  const params = await client.call<{ PublicKey?: string; ImportToken?: string }>('GetParametersForImport', {
    KeyId: keyId,
    WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
    WrappingKeySpec: 'RSA_2048',
  });
  if (!params.PublicKey || !params.ImportToken) throw new Error('GetParametersForImport returned no public key or token');
  const encrypted = wrapForImport('RSAES_OAEP_SHA_256', Buffer.from(params.PublicKey, 'base64'), material);
  return { KeyId: keyId, ImportToken: params.ImportToken, EncryptedKeyMaterial: b64(encrypted), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' };
}

/** Copies of the real re-import events, spread evenly in time between the last real event and now. */
function reimportEvents(templates: { issued: RecordedEvent; imported: RecordedEvent }, count: number, from: number, to: number): NewEvent[] {
  const events: NewEvent[] = [];
  const step = (to - from) / (count + 1);
  const meta = (template: RecordedEvent, at: number): JsonObject => {
    const requestId = randomUUID();
    return { ...template.metadata, requestId, correlationId: requestId, causationId: requestId, timestamp: new Date(at).toISOString() };
  };
  let tokenId = '';
  // An odd count starts with parameters that were never used, so the stream still ends with an import.
  for (let i = 0; i < count; i++) {
    const at = from + step * (i + 1);
    if ((count - i) % 2 === 0 || i === 0) {
      tokenId = randomUUID();
      events.push({
        type: KeyEventTypes.ImportParametersIssued,
        data: { ...templates.issued.data, importTokenId: tokenId, parametersValidTo: new Date(at + ONE_DAY_MS).toISOString(), publicKeyFingerprint: randomBytes(32).toString('hex') },
        metadata: meta(templates.issued, at),
      });
    } else {
      events.push({
        type: KeyEventTypes.KeyMaterialImported,
        data: { ...templates.imported.data, importType: 'EXISTING_KEY_MATERIAL', reimport: true, importTokenId: tokenId },
        metadata: meta(templates.imported, at),
      });
    }
  }
  return events;
}

/** Extends each key's stream to its target length; returns the number of events appended. */
async function extendHistories(dataDir: string, keys: PreparedKey[]): Promise<number> {
  const store = new ChainingEventStore(new SqliteEventStore({ filename: join(dataDir, 'events.sqlite') }));
  let appended = 0;
  try {
    for (const key of keys) {
      const stream = await store.readStream(keyStreamId(key.keyId));
      key.events = stream.length;
      const issued = [...stream].reverse().find((e) => e.type === KeyEventTypes.ImportParametersIssued);
      const imported = [...stream].reverse().find((e) => e.type === KeyEventTypes.KeyMaterialImported);
      if (!issued || !imported) throw new Error(`key ${key.keyId} has no import events to copy`);
      const missing = key.target - stream.length;
      if (missing <= 0) continue;
      const last = Date.parse(String(stream[stream.length - 1].metadata.timestamp)) || Date.now() - 60_000;
      const events = reimportEvents({ issued, imported }, missing, last, Date.now());
      let expected = stream[stream.length - 1].revision;
      for (let first = 0; first < events.length; first += 1000) {
        expected = (await store.appendToStream(keyStreamId(key.keyId), events.slice(first, first + 1000), expected)).nextExpectedRevision;
      }
      key.events += events.length;
      appended += events.length;
    }
  } finally {
    await store.close();
  }
  return appended;
}

export async function historyLatency(
  start: (name: string, dataDir: string) => Promise<ServiceProcess>,
  stop: (service: ServiceProcess) => Promise<void>,
  dataDir: string,
  config: BenchConfig,
  log: (message: string) => void,
): Promise<HistoryLatencyResults> {
  // 1. Real keys with imported material (the pool is off: each GetParametersForImport generates its pair).
  const keys: PreparedKey[] = [];
  const setupService = await start('history-setup', dataDir);
  const setup = new AwsJsonClient(setupService.url, 1);
  try {
    for (const target of config.historyEvents) {
      const created = await setup.call<{ KeyMetadata?: { KeyId?: string } }>('CreateKey', { Origin: 'EXTERNAL', Description: 'keyledger bench history' });
      const keyId = created.KeyMetadata?.KeyId;
      if (!keyId) throw new Error('CreateKey returned no KeyId');
      const material = randomBytes(32);
      await setup.call('ImportKeyMaterial', await importRequest(setup, keyId, material));
      keys.push({ keyId, target, material, events: 0 });
    }
  } finally {
    setup.close();
    await stop(setupService);
  }

  // 2. Long histories, appended while the service is stopped.
  const t0 = now();
  const appended = await extendHistories(dataDir, keys);
  const extendSeconds = (now() - t0) / 1000;
  log(`  appended ${appended} re-import events in ${extendSeconds.toFixed(1)} s (keys of ${keys.map((k) => k.events).join(', ')} events)`);

  // 3. The service again on that data directory: Encrypt (one connection), then timed re-imports.
  const service = await start('history', dataDir);
  const client = new AwsJsonClient(service.url, 1);
  const rows: HistoryLatencyRow[] = [];
  try {
    const startupMs = service.startupMs;
    await waitForServiceIdle(service);
    const plaintext = b64(randomBytes(config.plaintextBytes));
    for (const key of keys) {
      const encryptCall = client.prepare('Encrypt', { KeyId: key.keyId, Plaintext: plaintext });
      const meter = new CpuMeter(service.child.pid);
      let encryptCpu: CpuUse = { clientPercent: 0 };
      const encrypt = await runClosedLoop({
        concurrency: 1,
        warmupMs: Math.min(config.warmupSeconds, config.historySeconds) * 1000,
        durationMs: config.historySeconds * 1000,
        maxOperations: config.maxRequests,
        onWindowStart: () => meter.restart(),
        onWindowEnd: () => (encryptCpu = meter.read()),
        op: async () => {
          const r = AwsJsonClient.parse<{ CiphertextBlob?: string }>(await client.send(encryptCall));
          if (!r.CiphertextBlob) throw new Error('Encrypt returned no ciphertext');
        },
      });
      const samples: number[] = [];
      let importErrors = 0;
      let firstError = encrypt.firstError;
      const deadline = now() + 4 * config.historySeconds * 1000;
      for (let i = 0; i < config.historyImports && now() < deadline; i++) {
        try {
          const call = client.prepare('ImportKeyMaterial', await importRequest(client, key.keyId, key.material));
          const started = now();
          AwsJsonClient.parse(await client.send(call));
          samples.push(now() - started);
        } catch (error) {
          importErrors += 1;
          firstError ??= `${(error as Error).name}: ${(error as Error).message}`.slice(0, 200);
        }
      }
      const row: HistoryLatencyRow = {
        target: key.target,
        events: key.events,
        encrypt: encrypt.latency,
        encryptPerSecond: encrypt.perSecond,
        encryptErrors: encrypt.errors,
        encryptCpu,
        importKeyMaterial: summarize(samples),
        importErrors,
        firstError,
      };
      rows.push(row);
      log(
        `  history of ${key.events} events: Encrypt p50 ${row.encrypt.p50.toFixed(2)} ms p99 ${row.encrypt.p99.toFixed(2)} ms (n=${row.encrypt.count}), ` +
          `ImportKeyMaterial p50 ${row.importKeyMaterial.p50.toFixed(2)} ms p99 ${row.importKeyMaterial.p99.toFixed(2)} ms (n=${row.importKeyMaterial.count})` +
          (row.encryptErrors + row.importErrors ? `, ERRORS ${row.encryptErrors + row.importErrors} (${row.firstError})` : ''),
      );
    }
    return { seconds: config.historySeconds, plaintextBytes: config.plaintextBytes, extendSeconds, appended, startupMs, rows };
  } finally {
    client.close();
    await stop(service);
  }
}
