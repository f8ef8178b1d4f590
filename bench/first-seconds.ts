/**
 * `npm run bench:start` (entry point bin/bench-start.js): what a client meets in the first seconds after the service
 * starts, with the wrapping-key pools at their default sizes (filling in the background) and with them off, in
 * alternating rounds. Per round: spawn to /health, then one connection calling Encrypt back to back for a few
 * seconds (requests per half second), then, with the pools on, when they are full (the pool gauge of /metrics) and
 * the process's peak RSS. A test suite meets exactly this: it starts the service and calls it at once.
 * Prints a table; writes nothing to docs.
 *
 * Knobs: BENCH_START_ROUNDS (per setting, default 3), BENCH_START_SECONDS (the Encrypt window, default 3).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_WRAPPING_KEY_POOL_SIZES } from '../apps/kms-api/src/config/config';
import { AwsJsonClient } from './aws-json';
import { positiveInteger } from './config';
import { processRssBytes } from './cpu';
import { median, now } from './measure';
import { ServiceProcess } from './service-process';

const log = (message: string): void => console.log(`[bench:start] ${message}`);
const SLICE_MS = 500;
const POOL_FULL_TIMEOUT_MS = 30000;

const SETTINGS = {
  'default pools': {},
  'pools off': { KEYLEDGER_WRAPPING_KEY_POOL_SIZE: '0' },
} as const;
type Setting = keyof typeof SETTINGS;

interface Round {
  setting: Setting;
  readyMs: number;
  /** Encrypt calls answered in each half second of the window. */
  perSlice: number[];
  /** After spawn: every pool at its size (undefined with the pools off, or not within the timeout). */
  poolsFullMs?: number;
  peakRssMiB?: number;
}

async function encryptWindow(url: string, seconds: number): Promise<number[]> {
  const client = new AwsJsonClient(url, 1);
  try {
    const created = await client.call<{ KeyMetadata?: { KeyId?: string } }>('CreateKey', {});
    const keyId = created.KeyMetadata?.KeyId;
    if (!keyId) throw new Error('CreateKey returned no KeyId');
    const perSlice = Array.from({ length: Math.ceil((seconds * 1000) / SLICE_MS) }, () => 0);
    const start = now();
    for (let elapsed = 0; elapsed < seconds * 1000; elapsed = now() - start) {
      const answer = await client.call<{ CiphertextBlob?: string }>('Encrypt', { KeyId: keyId, Plaintext: 'aGVsbG8=' });
      if (!answer.CiphertextBlob) throw new Error('Encrypt returned no CiphertextBlob');
      perSlice[Math.floor(elapsed / SLICE_MS)]++;
    }
    return perSlice;
  } finally {
    client.close();
  }
}

/** Milliseconds after `spawnedAt` at which every pool gauge of /metrics reads its size. */
async function poolsFull(url: string, spawnedAt: number): Promise<number | undefined> {
  while (now() - spawnedAt < POOL_FULL_TIMEOUT_MS) {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const full = Object.entries(DEFAULT_WRAPPING_KEY_POOL_SIZES).every(([spec, size]) => new RegExp(`^keyledger_wrapping_key_pool_ready\\{spec="${spec}"\\} ${size}$`, 'm').test(metrics));
    if (full) return now() - spawnedAt;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

async function runRound(setting: Setting, round: number, tempRoot: string, seconds: number): Promise<Round> {
  const spawnedAt = now();
  const service = await ServiceProcess.start({ name: `${setting.replace(' ', '-')}-${round}`, repoDir: resolve(__dirname, '..', '..'), tempRoot, env: { ...SETTINGS[setting] } });
  try {
    const readyMs = now() - spawnedAt;
    const perSlice = await encryptWindow(service.url, seconds);
    const poolsFullMs = setting === 'default pools' ? await poolsFull(service.url, spawnedAt) : undefined;
    const peak = processRssBytes(service.child.pid, 'VmHWM');
    return { setting, readyMs, perSlice, poolsFullMs, peakRssMiB: peak === undefined ? undefined : peak / 1024 / 1024 };
  } finally {
    await service.stop();
  }
}

export async function main(): Promise<void> {
  const rounds = positiveInteger('BENCH_START_ROUNDS', 3);
  const seconds = positiveInteger('BENCH_START_SECONDS', 3);
  const tempRoot = mkdtempSync(join(tmpdir(), 'keyledger-bench-start-'));
  const results: Round[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const setting of Object.keys(SETTINGS) as Setting[]) {
        const r = await runRound(setting, round, tempRoot, seconds);
        results.push(r);
        const total = r.perSlice.reduce((a, b) => a + b, 0);
        log(
          `${setting.padEnd(13)} round ${round}: /health at ${r.readyMs.toFixed(0)} ms; Encrypt per ${SLICE_MS} ms: ${r.perSlice.join(' ')} (${total} in ${seconds} s)` +
            (r.poolsFullMs !== undefined ? `; pools full ${(r.poolsFullMs / 1000).toFixed(1)} s after spawn` : '') +
            (r.peakRssMiB !== undefined ? `; peak RSS ${r.peakRssMiB.toFixed(0)} MiB` : ''),
        );
      }
    }
  } finally {
    rmSync(tempRoot, { recursive: true, force: true });
  }
  log(`median of ${rounds} rounds:`);
  for (const setting of Object.keys(SETTINGS) as Setting[]) {
    const mine = results.filter((r) => r.setting === setting);
    const totals = mine.map((r) => r.perSlice.reduce((a, b) => a + b, 0));
    const full = mine.map((r) => r.poolsFullMs).filter((ms): ms is number => ms !== undefined);
    log(
      `  ${setting.padEnd(13)} Encrypt in the first ${seconds} s: ${median(totals)} (${Math.min(...totals)}–${Math.max(...totals)}); /health at ${median(mine.map((r) => r.readyMs)).toFixed(0)} ms` +
        (full.length ? `; pools full ${(median(full) / 1000).toFixed(1)} s after spawn` : '') +
        `; peak RSS ${median(mine.map((r) => r.peakRssMiB ?? NaN)).toFixed(0)} MiB`,
    );
  }
}
