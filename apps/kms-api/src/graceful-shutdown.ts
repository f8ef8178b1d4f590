import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { INestApplication, LoggerService } from '@nestjs/common';
import type { AuditDigestOptions, Clock, IdGenerator } from '@keyledger/application';
import { LogDigestWriter } from '@keyledger/audit';
import type { EventStore } from '@keyledger/event-store';

/** How long requests already in flight get to finish before their connections are closed. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Stops on SIGTERM/SIGINT without cutting requests off: stop accepting connections, answer the requests in
 * flight (with `Connection: close`, so kept-alive clients do not send more on the same socket), wait for the
 * connections to drain (at most SHUTDOWN_GRACE_MS, then close what is left), then let the expiry job and the
 * projections stop, sign a final audit digest and close the stores (app.close()), and exit 0.
 */
export function stopGracefullyOnSignals(app: INestApplication, logger: LoggerService): void {
  const server = app.getHttpServer() as Server;
  // Connections are tracked, and each one's latest response kept on it, rather than a set of the responses in
  // flight: a set that takes and drops an entry per request made every response outlive two young-generation
  // collections once the AWS JSON answers went out at the turn's end (--trace-gc-nvp under Decrypt at 16
  // connections: 124 KB promoted to the old generation per scavenge, 36 KB without the set), and so doubled the
  // full collections.
  const connections = new Set<Socket>();
  let stopping = false;
  const closeAfter = (response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('Connection', 'close');
  };
  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (stopping) return closeAfter(response);
    (request.socket as TrackedSocket)[LATEST_RESPONSE] = response;
  });
  const inFlight = (): ServerResponse[] =>
    [...connections].map((socket) => (socket as TrackedSocket)[LATEST_RESPONSE]).filter((response): response is ServerResponse => !!response && !response.writableFinished);
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const answering = inFlight();
    logger.log({ msg: 'shutting down', signal, requestsInFlight: answering.length });
    answering.forEach(closeAfter);
    drain(server)
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (error: Error) => {
          logger.error({ msg: 'shutdown failed', error: error.message });
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

const LATEST_RESPONSE = Symbol('latestResponse');
type TrackedSocket = Socket & { [LATEST_RESPONSE]?: ServerResponse };

/** Resolves when every connection has closed; forces the stragglers closed after the grace period. */
function drain(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

export interface FinalDigestParts {
  store: EventStore;
  options: AuditDigestOptions;
  clock: Clock;
  ids: IdGenerator;
}

/**
 * Signs a last digest of the log when the application closes (after the jobs and the usage recorder have written
 * their last events, before the stores close), so `keyledger verify` after a clean stop finds no unsigned tail.
 * A store that fails now is logged, not thrown: the shutdown must go on, and the tail is then left for the next
 * run's first digest.
 */
export async function signFinalAuditDigest({ store, options, clock, ids }: FinalDigestParts, logger: LoggerService): Promise<void> {
  const writer = new LogDigestWriter({ store, signingKey: options.signingKey, now: () => clock.now(), newId: () => ids.uuid() });
  try {
    const signed = await writer.writeFinalDigest();
    if (signed) logger.log({ msg: 'final audit digest signed', position: signed.position, toPosition: signed.digest.toPosition, digestHash: signed.hash });
  } catch (error) {
    logger.error({ msg: 'the final audit digest could not be signed', error: (error as Error).message });
  }
}
