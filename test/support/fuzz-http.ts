/** Raw HTTP helpers for the hostile-input, slowloris and fuzz tests: lazy bodies, raw sockets, server-side byte counts. */
import type { Server } from 'node:http';
import { connect, Socket } from 'node:net';

/** A body of `total` bytes produced on demand (never held in memory), counting what the client managed to hand over. */
export function lazyBody(total: number, fill = 0x20, chunkBytes = 64 * 1024): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  const chunk = new Uint8Array(chunkBytes).fill(fill);
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= total) return controller.close();
      const size = Math.min(chunkBytes, total - pulled);
      pulled += size;
      controller.enqueue(size === chunkBytes ? chunk : chunk.subarray(0, size));
    },
  });
  return { stream, pulled: () => pulled };
}

export interface StreamedReply {
  status: number;
  headers: Headers;
  text: string;
  /** Milliseconds from the start of the request to the complete answer. */
  elapsedMs: number;
  /** Bytes of the body the client had handed over when the answer was complete. */
  sentBeforeAnswer: number;
}

/** POSTs a lazily generated chunked body of `total` bytes with fetch. */
export async function postChunked(url: string, headers: Record<string, string>, total: number): Promise<StreamedReply> {
  const body = lazyBody(total);
  const started = Date.now();
  const response = await fetch(url, { method: 'POST', headers, body: body.stream, duplex: 'half' } as RequestInit);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, elapsedMs: Date.now() - started, sentBeforeAnswer: body.pulled() };
}

export interface RawExchange {
  /** Everything the server sent. */
  response: string;
  status: number | undefined;
  /** When the first byte of the answer arrived (ms after connecting), if it did. */
  answeredAfterMs: number | undefined;
  /** Whether the server closed the connection (FIN or reset) within the time allowed. */
  closedByServer: boolean;
  closedAfterMs: number | undefined;
}

/**
 * Opens a TCP connection, writes `data` (e.g. request headers announcing a body that is never sent), and
 * collects the answer until the server closes the connection or `waitMs` passes.
 */
export function rawExchange(url: string, data: string | Buffer, waitMs: number): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket: Socket = connect({ host: hostname, port: Number(port) });
    let response = '';
    let answeredAfterMs: number | undefined;
    let settled = false;
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(response)?.[1];
      resolve({ response, status: status ? Number(status) : undefined, answeredAfterMs, closedByServer, closedAfterMs: closedByServer ? Date.now() - started : undefined });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('connect', () => socket.write(data));
    socket.on('data', (chunk) => {
      answeredAfterMs ??= Date.now() - started;
      response += chunk.toString('latin1');
    });
    socket.on('end', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
}

/** What the server read from the connection that carried a marked request, once that connection closed. */
export interface ServerSideRead {
  bytesRead: number;
  /** Milliseconds from the request's arrival to the connection's close. */
  closedAfterMs: number;
}

export const PROBE_HEADER = 'x-test-probe';

/**
 * Watches the server's sockets: a request carrying `x-test-probe: <name>` names its connection, and
 * `closed(name)` resolves with the bytes the server read from that connection when it closed.
 */
export function probeServerSockets(server: Server) {
  const waiting = new Map<string, (read: ServerSideRead) => void>();
  const results = new Map<string, Promise<ServerSideRead>>();
  const entry = (name: string) => {
    if (!results.has(name)) results.set(name, new Promise((resolve) => waiting.set(name, resolve)));
    return results.get(name)!;
  };
  const onRequest = (request: { headers: Record<string, unknown>; socket: Socket }) => {
    const name = request.headers[PROBE_HEADER];
    if (typeof name !== 'string') return;
    entry(name);
    const arrived = Date.now();
    const socket = request.socket;
    const report = () => waiting.get(name)?.({ bytesRead: socket.bytesRead, closedAfterMs: Date.now() - arrived });
    if (socket.destroyed) report();
    else socket.once('close', report);
  };
  server.prependListener('request', onRequest);
  return {
    closed: (name: string): Promise<ServerSideRead> => entry(name),
    stop: () => server.off('request', onRequest),
  };
}

export const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error) => (clearTimeout(timer), reject(error)),
    );
  });

export interface PushResult {
  /** When the first byte of the answer arrived, if it did. */
  answeredAfterMs: number | undefined;
  answer: string;
  /** When the server closed the connection, if it did within `waitMs`. */
  closedAfterMs: number | undefined;
  /** Bytes of body the client managed to write before the connection closed (or `waitMs` passed). */
  written: number;
}

/**
 * A hostile uploader: writes `head`, then pushes body bytes as fast as the connection takes them, ignoring any
 * answer, until `total` bytes, the server closing the connection, or `waitMs`. Chunked encoding unless the
 * head declares a Content-Length.
 */
export function pushRegardless(url: string, head: string, total: number, waitMs: number): Promise<PushResult> {
  const { hostname, port } = new URL(url);
  const chunked = /transfer-encoding:\s*chunked/i.test(head);
  const payload = Buffer.alloc(0x10000, 0x20);
  const chunk = chunked ? Buffer.concat([Buffer.from('10000\r\n'), payload, Buffer.from('\r\n')]) : payload;
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const started = Date.now();
    let written = 0;
    let answer = '';
    let answeredAfterMs: number | undefined;
    let closedAfterMs: number | undefined;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ answeredAfterMs, answer, closedAfterMs, written });
    };
    const pump = () => {
      while (written < total && !socket.destroyed) {
        written += payload.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('connect', () => {
      socket.write(head);
      pump();
    });
    socket.on('data', (d) => {
      answeredAfterMs ??= Date.now() - started;
      answer += d.toString('latin1');
    });
    const closed = () => {
      closedAfterMs ??= Date.now() - started;
      finish();
    };
    socket.on('end', closed);
    socket.on('close', closed);
    socket.on('error', closed);
  });
}
