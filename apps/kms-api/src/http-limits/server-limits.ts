import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { MAX_BODY_BYTES } from '../aws-json/request-body';
import { closeInsteadOfDraining } from './bounded-body';

export interface ServerLimits {
  /** The whole request (headers and body) must arrive within this time. */
  requestTimeoutMs: number;
  /** The headers must arrive within this time (at most requestTimeoutMs). */
  headersTimeoutMs: number;
  /** Simultaneous connections; more are closed as soon as they are accepted. */
  maxConnections: number;
}

/**
 * AWS SDKs keep connections alive and reuse them after idling. With Node's default 5 s keep-alive timeout the
 * server may close a socket just as a client reuses it, and the client sees ECONNRESET; idle connections are
 * kept for longer than clients typically keep them (as load balancers do). An idle kept-alive connection is not
 * subject to the header and request timeouts below: they start with the first byte of a request.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * Connections that trickle a request (slowloris) are cut: Node answers 408 and closes a connection whose headers
 * are not complete within headersTimeout, or whose request is not complete within requestTimeout (a connection
 * that sends nothing at all counts as trickling headers). Node checks these deadlines every
 * connectionsCheckingInterval (30 s by default, read when the server starts listening): it is brought down to
 * a quarter of the shortest timeout, at most 1 s, so that a connection is cut close to its deadline.
 *
 * A request whose body has arrived is not timed: a slow command still gets its answer.
 *
 * Every request's body is bounded too: readers stop at MAX_BODY_BYTES (bounded-body.ts), and a body left unread
 * by an early answer is not drained past that size either (closeInsteadOfDraining).
 */
export function applyServerLimits(server: Server, limits: ServerLimits): void {
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(100, Math.min(1000, Math.floor(server.headersTimeout / 4)));
  server.maxConnections = limits.maxConnections;
  // A body nobody reads (the request was refused before its body was looked at) is not read to its end either.
  // First in line, before express, which may answer synchronously.
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => closeInsteadOfDraining(request, response, MAX_BODY_BYTES));
}
