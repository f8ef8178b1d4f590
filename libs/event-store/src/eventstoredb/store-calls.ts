import { isStoreUnavailableError, StoreUnavailableError, type StoreUnavailableReason } from '../event-store.port';
import { readFully } from './all-stream-scan';
import { dbClient, loadedDbClient } from './db-client';

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/** How long one round trip to EventStoreDB may take by default before it counts as a timeout. */
export const DEFAULT_STORE_TIMEOUT_MS = 5000;

/**
 * The `defaultDeadline` a connection string names (the client's own setting for call deadlines, in ms), so the
 * adapters bound their calls the same way as the client does its unary calls. Keys are matched as the client
 * matches them: case-insensitive, ignoring `-` and `_`.
 */
export function deadlineOfConnectionString(connectionString: string): number | undefined {
  const query = connectionString.split('?')[1];
  if (!query) return undefined;
  for (const [key, value] of new URLSearchParams(query)) {
    if (key.trim().toLowerCase().replace(/[_-]/g, '') !== 'defaultdeadline') continue;
    const deadline = Number(value);
    if (Number.isSafeInteger(deadline) && deadline > 0) return deadline;
  }
  return undefined;
}

/**
 * The client's errors that mean "the server is not available", as the port's StoreUnavailableError; undefined
 * for any other error (a conflict, a missing stream, a refusal), which says nothing about availability.
 *
 * - UNAVAILABLE (connection refused or lost), CANCELLED by the server (a node shutting down), NOT_LEADER (the
 *   client reconnects to the new leader on the next call), a failed cluster discovery: 'unreachable';
 * - DEADLINE_EXCEEDED, ABORTED (the client's TIMEOUT): 'timeout'.
 *
 * `write`: the error ended an append, which may have reached the server: its outcome is unknown.
 */
export function asStoreUnavailable(error: unknown, what: string, write = false): StoreUnavailableError | undefined {
  if (isStoreUnavailableError(error)) return error;
  const reason = reasonOf(error);
  if (!reason) return undefined;
  const detail = (error as Error).message;
  const outcome = write ? '; whether the append was written is unknown' : '';
  return new StoreUnavailableError(reason, `EventStoreDB ${reason === 'timeout' ? 'timed out' : 'is unreachable'} (${what}: ${detail})${outcome}`, {
    outcomeUnknown: write,
    cause: error,
  });
}

function reasonOf(error: unknown): StoreUnavailableReason | undefined {
  if (!(error instanceof Error)) return undefined;
  // Only a loaded client can have made the error: on the embedded store this neither loads nor needs it.
  const client = loadedDbClient();
  if (client && client.isCommandError(error)) {
    const { ErrorType } = client;
    switch (error.type) {
      case ErrorType.UNAVAILABLE:
      case ErrorType.CANCELLED:
      case ErrorType.NOT_LEADER:
        return 'unreachable';
      case ErrorType.DEADLINE_EXCEEDED:
      case ErrorType.TIMEOUT:
        return 'timeout';
      default:
        return undefined;
    }
  }
  // Raw gRPC errors that reach us unconverted (status codes; @grpc/grpc-js is not a production dependency).
  const code = (error as { code?: unknown }).code;
  if (code === GRPC_UNAVAILABLE) return 'unreachable';
  if (code === GRPC_DEADLINE_EXCEEDED) return 'timeout';
  // Cluster discovery (esdb+discover:// or several hosts) gave up on every gossip seed.
  if (/^Failed to discover after \d+ attempts/.test(error.message)) return 'unreachable';
  return undefined;
}

/**
 * grpc-js fails a call with UNAVAILABLE "No connection established" when its channel has no connection to send
 * it on: the request never reached the server.
 */
function wasNeverSent(error: unknown): boolean {
  return reasonOf(error) === 'unreachable' && error instanceof Error && /No connection established/.test(error.message);
}

/**
 * What this process last saw of the server: up, or down since some call failed as unavailable. Subscriptions
 * use it to come back as soon as any call succeeds again instead of waiting out their backoff, and to re-open
 * a subscription that was open across an outage (its connection may be dead without the client knowing yet).
 */
export class StoreConnectivity {
  private down: StoreUnavailableError | undefined;
  private outageCount = 0;
  private readonly recoveryListeners = new Set<() => void>();

  /** How many times the server went from up to down; a subscription notes it when confirmed. */
  get outages(): number {
    return this.outageCount;
  }

  /** The failure that started the current outage; undefined while the server answers. */
  get unavailable(): StoreUnavailableError | undefined {
    return this.down;
  }

  succeeded(): void {
    if (!this.down) return;
    this.down = undefined;
    for (const listener of [...this.recoveryListeners]) listener();
  }

  failed(error: StoreUnavailableError): void {
    if (!this.down) this.outageCount += 1;
    this.down = error;
  }

  /** Calls `listener` every time the server answers again after an outage; returns the unsubscribe. */
  onRecovered(listener: () => void): () => void {
    this.recoveryListeners.add(listener);
    return () => this.recoveryListeners.delete(listener);
  }

  /** Resolves at the next recovery, or when the signal aborts. Never rejects. */
  nextRecovery(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        stop();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const stop = this.onRecovered(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/**
 * Every round trip an adapter makes to EventStoreDB goes through here, so that none can hang: each gets
 * `timeoutMs`, after which it fails with StoreUnavailableError('timeout') and the gRPC call is cancelled. The
 * client's own deadline does not cover everything: 6.2.1 reads, subscriptions and the shared BatchAppend
 * stream are opened with no deadline at all (BatchAppend only asks the server to honour one).
 */
export class StoreCalls {
  constructor(
    readonly timeoutMs: number,
    readonly connectivity = new StoreConnectivity(),
  ) {
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new RangeError(`A store timeout must be a positive integer (ms), got ${timeoutMs}`);
  }

  /**
   * Runs one round trip under the deadline. The signal aborts when the deadline passes (the call should cancel
   * its gRPC call then); client errors meaning "unavailable" become StoreUnavailableError, others pass through.
   * With `write`, a timeout or a lost connection leaves the outcome unknown: it is never reported as success.
   */
  async run<T>(what: string, call: (signal: AbortSignal) => Promise<T>, { write = false }: { write?: boolean } = {}): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const outcome = write ? '; whether the append was written is unknown' : '';
        const error = new StoreUnavailableError('timeout', `EventStoreDB did not answer ${what} within ${this.timeoutMs} ms${outcome}`, { outcomeUnknown: write });
        controller.abort(error);
        reject(error);
      }, this.timeoutMs);
    });
    const work = (async () => {
      try {
        return await call(controller.signal);
      } catch (error) {
        if (!wasNeverSent(error) || controller.signal.aborted) throw error;
        // The call met a connection attempt that had failed (the server may have come back since): the client
        // drops that channel, so one more try, on a fresh connection, within the same deadline. Safe for writes
        // too: the request never left this process.
        await new Promise((resolve) => setImmediate(resolve));
        return await call(controller.signal);
      }
    })();
    // Once the deadline has won, whatever the abandoned call does later is of no interest.
    work.catch(() => undefined);
    try {
      const result = await Promise.race([work, deadline]);
      this.connectivity.succeeded();
      return result;
    } catch (error) {
      // A write that never left has a known outcome: not written.
      const unavailable = asStoreUnavailable(error, what, write && !wasNeverSent(error));
      if (unavailable) {
        this.connectivity.failed(unavailable);
        throw unavailable;
      }
      // A refusal (a conflict, a missing stream) is an answer: the server is up.
      if (error instanceof Error && dbClient().isCommandError(error)) this.connectivity.succeeded();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads a bounded read completely within the deadline (see readFully). */
  read<T>(what: string, open: () => AsyncIterable<T>): Promise<T[]> {
    return this.run(what, (signal) => readFully(open(), signal));
  }
}
