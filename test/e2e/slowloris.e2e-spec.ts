import { CreateKeyCommand, DecryptCommand, EncryptCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess, startServiceProcess } from '../support/service-process';

/**
 * Slow clients (slowloris): against the real service process with a 2 s request timeout, hundreds of connections
 * trickle a request one byte at a time. A normal SDK client keeps getting fast answers meanwhile, and the server
 * cuts every slow connection once the timeout has passed. Only 127.0.0.1; bounded well under 20 s.
 */
describe('slow clients are cut by the request timeout', () => {
  const REQUEST_TIMEOUT_MS = 2000;
  const HEADER_TRICKLERS = 250;
  const BODY_TRICKLERS = 50;
  const TRICKLE_EVERY_MS = 300;

  let service: ServiceProcess;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'keyledger-slowloris-'));
    service = await startServiceProcess({ DATA_DIR: dataDir, KEYLEDGER_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), LOG_FORMAT: 'json' });
  }, 30_000);
  afterAll(async () => {
    await service?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  interface Slow {
    socket: Socket;
    pending: Buffer;
    openedAt: number;
    closedAfterMs?: number;
    answer: string;
  }

  /** Opens a connection that will send `request` one byte every TRICKLE_EVERY_MS. */
  function trickle(request: string, immediately = ''): Promise<Slow> {
    const { hostname, port } = new URL(service.url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) });
      const slow: Slow = { socket, pending: Buffer.from(request), openedAt: Date.now(), answer: '' };
      socket.on('data', (d) => (slow.answer += d.toString('latin1')));
      const closed = () => (slow.closedAfterMs ??= Date.now() - slow.openedAt);
      socket.on('end', closed);
      socket.on('close', closed);
      socket.on('error', closed);
      socket.once('connect', () => {
        slow.openedAt = Date.now();
        if (immediately) socket.write(immediately);
        resolve(slow);
      });
      socket.once('error', reject);
    });
  }

  it('an SDK client is served with low latency while hundreds of connections trickle; the slow connections are then closed by the server', async () => {
    const started = Date.now();
    const host = new URL(service.url).host;
    const client = new KMSClient({ endpoint: service.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    const keyId = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;

    // Headers one byte at a time, and requests whose headers are complete but whose body trickles.
    const headers = `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: TrentService.ListKeys\r\nContent-Length: 2\r\n\r\n{}`;
    const bodyHead = `POST / HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: TrentService.ListKeys\r\nContent-Length: 200\r\n\r\n`;
    const slow = [
      ...(await Promise.all(Array.from({ length: HEADER_TRICKLERS }, () => trickle(headers)))),
      ...(await Promise.all(Array.from({ length: BODY_TRICKLERS }, () => trickle(' '.repeat(200), bodyHead)))),
    ];
    const drip = setInterval(() => {
      for (const s of slow) {
        if (s.closedAfterMs !== undefined || s.pending.length === 0) continue;
        s.socket.write(s.pending.subarray(0, 1));
        s.pending = s.pending.subarray(1);
      }
    }, TRICKLE_EVERY_MS);

    try {
      // A normal client meanwhile: every call succeeds, quickly.
      const latencies: number[] = [];
      const until = Date.now() + REQUEST_TIMEOUT_MS + 1500;
      while (Date.now() < until) {
        const t0 = Date.now();
        const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('slowloris') }));
        const { Plaintext } = await client.send(new DecryptCommand({ CiphertextBlob }));
        expect(Buffer.from(Plaintext!).toString()).toBe('slowloris');
        await client.send(new ListKeysCommand({}));
        latencies.push((Date.now() - t0) / 3);
      }
      latencies.sort((a, b) => a - b);
      const p95 = latencies[Math.floor(latencies.length * 0.95)];
      console.log(`SDK client beside ${slow.length} slow connections: ${latencies.length * 3} calls, p50 ${latencies[Math.floor(latencies.length / 2)].toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${latencies[latencies.length - 1].toFixed(1)} ms`);
      expect(latencies.length).toBeGreaterThan(10);
      expect(p95).toBeLessThan(250);

      // Every slow connection is closed by the server once the timeout (checked every 500 ms) has passed.
      const bound = REQUEST_TIMEOUT_MS + 2000;
      const deadline = Date.now() + bound;
      while (slow.some((s) => s.closedAfterMs === undefined) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const open = slow.filter((s) => s.closedAfterMs === undefined).length;
      const closedAfter = slow.map((s) => s.closedAfterMs ?? Infinity).sort((a, b) => a - b);
      const timedOut = slow.filter((s) => s.answer.startsWith('HTTP/1.1 408')).length;
      console.log(`slow connections: ${slow.length - open}/${slow.length} closed by the server, after ${closedAfter[0]}..${closedAfter[closedAfter.length - 1]} ms; ${timedOut} answered 408`);
      expect(open).toBe(0);
      expect(closedAfter[0]).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      expect(closedAfter[closedAfter.length - 1]).toBeLessThan(bound);
      // None of them got as far as a request being served.
      expect(slow.filter((s) => s.answer.startsWith('HTTP/1.1 200'))).toHaveLength(0);
    } finally {
      clearInterval(drip);
      for (const s of slow) s.socket.destroy();
      client.destroy();
    }

    // The service is still healthy, and the whole scenario stayed short.
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);

  it('an idle kept-alive connection is not cut by the request timeout (only requests in progress are timed)', async () => {
    const { hostname, port, host } = new URL(service.url);
    const socket = connect({ host: hostname, port: Number(port) });
    let received = '';
    socket.on('data', (d) => (received += d.toString('latin1')));
    let closed = false;
    socket.on('close', () => (closed = true));
    await new Promise((resolve) => socket.once('connect', resolve));
    const answers = async (n: number) => {
      const deadline = Date.now() + 2000;
      while ((received.match(/HTTP\/1\.1 200 /g) ?? []).length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return (received.match(/HTTP\/1\.1 200 /g) ?? []).length;
    };
    const health = `GET /health HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
    try {
      socket.write(health);
      expect(await answers(1)).toBe(1);
      // Idle for longer than the request timeout, as an SDK between calls: the connection is kept (65 s keep-alive).
      await new Promise((r) => setTimeout(r, REQUEST_TIMEOUT_MS + 1500));
      expect(closed).toBe(false);
      socket.write(health);
      expect(await answers(2)).toBe(2);
    } finally {
      socket.destroy();
    }
  });
});
