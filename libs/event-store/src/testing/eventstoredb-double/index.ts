/**
 * A TEST DOUBLE of an EventStoreDB node: an in-process gRPC server that serves the real client's own
 * generated service definitions over a small in-memory log. It exists because no EventStoreDB server can
 * run on the project's CI machines; it models only what Keyledger's adapters rely on, and the adapters'
 * specs run unchanged against a real server when KEYLEDGER_TEST_EVENTSTORE_URL is set.
 * What it models and what it does not: docs/eventstoredb.md, "The protocol double".
 *
 * Faults, for the store-fault tests: `shutDown()` takes the node off the network (calls and connections end,
 * the port refuses connections) keeping its log, and `restart()` serves that log again on the same port, as a
 * node restarted on durable storage would; `stall()` hangs it (calls accepted, never answered; optionally
 * appends written with their answers withheld) until `unstall()`. It still ignores the deadlines clients send.
 */
import { Server, ServerCredentials, status as GrpcStatus, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { SupportedMethod, SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import { StreamsService, type IStreamsServer } from '@eventstore/db-client/generated/streams_grpc_pb';
import type { Empty } from '@eventstore/db-client/generated/shared_pb';
import { ReadService } from './read-service';
import { StallGate, type StallOptions } from './stall-gate';
import { DEFAULT_MAX_APPEND_SIZE, TransactionLog } from './transaction-log';
import { WriteService } from './write-service';

/** The server version the double imitates: the first LTS that sends CaughtUp and stream-read positions. */
export const IMITATED_SERVER_VERSION = '23.10.0';

export interface EventStoreDbDoubleOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /**
   * Whether ServerFeatures advertises BatchAppend (default true, as servers since 21.10 do). The client
   * appends through BatchAppend when advertised and through Append otherwise; both are served.
   */
  advertiseBatchAppend?: boolean;
  maxAppendSize?: number;
}

export interface EventStoreDbDouble {
  /** e.g. `esdb://127.0.0.1:40123?tls=false` (the host as given, or 127.0.0.1) */
  readonly connectionString: string;
  readonly port: number;
  /** Ends every active subscription with an error status (default UNAVAILABLE); returns how many. */
  dropSubscriptions(code?: GrpcStatus): number;
  /** Physically removes deleted and truncated events, as a completed scavenge would. */
  scavenge(): void;
  /** How many calls each Streams RPC has received, e.g. to tell which append path the client took. */
  readonly calls: Readonly<Record<'read' | 'append' | 'batchAppend' | 'delete', number>>;
  /**
   * Hangs the node: calls are accepted and never answered until `unstall()` (see StallOptions, e.g. appends
   * written with their answers withheld). For tests of deadlines.
   */
  stall(options?: StallOptions): void;
  /** Ends a stall: held calls go on (late answers, as from a node that recovers). */
  unstall(): void;
  /** Whether the gRPC server is listening (false between `shutDown()` and `restart()`). */
  readonly listening: boolean;
  /**
   * Takes the node off the network as a crash or a stopped container would: ends every call and connection
   * and stops listening. Its log is kept, so `restart()` brings back the same data on the same port.
   */
  shutDown(): Promise<void>;
  /** Listens again on the same port, serving the log as it was (a no-op while listening). */
  restart(): Promise<void>;
  /** Shuts down for good (the log is kept in memory until the double is dropped). */
  stop(): Promise<void>;
}

export async function startEventStoreDbDouble(options: EventStoreDbDoubleOptions = {}): Promise<EventStoreDbDouble> {
  const log = new TransactionLog(options.maxAppendSize ?? DEFAULT_MAX_APPEND_SIZE);
  const gate = new StallGate();
  const reads = new ReadService(log, gate);
  const writes = new WriteService(log, gate);
  const advertiseBatchAppend = options.advertiseBatchAppend ?? true;

  const calls = { read: 0, append: 0, batchAppend: 0, delete: 0 };

  const streamsImplementation: IStreamsServer = {
    read: (call) => {
      calls.read += 1;
      reads.read(call).catch((error: unknown) => call.emit('error', { code: GrpcStatus.INTERNAL, details: String(error) }));
    },
    append: (call, callback) => {
      calls.append += 1;
      writes.append(call, callback);
    },
    batchAppend: (call) => {
      calls.batchAppend += 1;
      writes.batchAppend(call);
    },
    delete: (call, callback) => {
      calls.delete += 1;
      writes.delete(call, callback);
    },
    tombstone: (call, callback) => writes.tombstone(call, callback),
  };
  const bind = async (port: number): Promise<{ server: Server; port: number }> => {
    const server = new Server();
    server.addService(StreamsService, streamsImplementation);
    server.addService(ServerFeaturesService, {
      getSupportedMethods: (_call: ServerUnaryCall<Empty, SupportedMethods>, callback: sendUnaryData<SupportedMethods>) =>
        callback(null, supportedMethods(advertiseBatchAppend)),
    });
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (error, boundPort) => (error ? reject(error) : resolve(boundPort))),
    );
    return { server, port: bound };
  };
  const host = options.host ?? '127.0.0.1';
  let current: Server | undefined;
  const first = await bind(options.port ?? 0);
  current = first.server;
  const port = first.port;

  const shutDown = async (): Promise<void> => {
    if (!current) return;
    const server = current;
    current = undefined;
    gate.abandon();
    reads.dropSubscriptions(GrpcStatus.UNAVAILABLE);
    server.forceShutdown();
  };
  let restarting: Promise<void> | undefined;
  const restart = (): Promise<void> =>
    (restarting ??= (async () => {
      if (current) return;
      // The port was just released; binding it again can race with the old listener's close for a moment.
      for (let attempt = 1; ; attempt += 1) {
        try {
          current = (await bind(port)).server;
          return;
        } catch (error) {
          if (attempt >= 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    })().finally(() => (restarting = undefined)));

  return {
    connectionString: `esdb://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}?tls=false`,
    port,
    calls,
    dropSubscriptions: (code) => reads.dropSubscriptions(code),
    scavenge: () => log.scavenge(),
    stall: (stallOptions) => gate.stall(stallOptions),
    unstall: () => gate.release(),
    get listening() {
      return current !== undefined;
    },
    shutDown,
    restart,
    stop: shutDown,
  };
}

/** Lower-case names with the features the server attaches, as ServerFeatures.GetSupportedMethods returns them. */
function supportedMethods(advertiseBatchAppend: boolean): SupportedMethods {
  const method = (service: string, name: string, features: string[] = []) =>
    new SupportedMethod().setServiceName(service).setMethodName(name).setFeaturesList(features);
  const streams = 'event_store.client.streams.streams';
  const methods = [
    method(streams, 'read', ['position', 'events']),
    method(streams, 'append'),
    method(streams, 'delete'),
    method('event_store.client.server_features.serverfeatures', 'getsupportedmethods'),
  ];
  if (advertiseBatchAppend) methods.push(method(streams, 'batchappend', ['deadline_duration']));
  return new SupportedMethods().setEventStoreServerVersion(IMITATED_SERVER_VERSION).setMethodsList(methods);
}
