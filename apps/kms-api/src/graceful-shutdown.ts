import type { Server, ServerResponse } from 'node:http';
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
  const inFlight = new Set<ServerResponse>();
  let stopping = false;
  const closeAfter = (response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('Connection', 'close');
  };
  server.on('request', (_request, response: ServerResponse) => {
    if (stopping) return closeAfter(response);
    inFlight.add(response);
    response.once('finish', () => inFlight.delete(response));
    response.once('close', () => inFlight.delete(response));
  });
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log({ msg: 'shutting down', signal, requestsInFlight: inFlight.size });
    inFlight.forEach(closeAfter);
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
