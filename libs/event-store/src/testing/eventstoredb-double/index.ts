/**
 * A TEST DOUBLE of an EventStoreDB node: an in-process gRPC server that serves the real client's own
 * generated service definitions over a small in-memory log. It exists because no EventStoreDB server can
 * run on the project's CI machines; it models only what Keyledger's adapters rely on, and the adapters'
 * specs run unchanged against a real server when KEYLEDGER_TEST_EVENTSTORE_URL is set.
 * What it models and what it does not: docs/eventstoredb.md, "The protocol double".
 */
import { Server, ServerCredentials, status as GrpcStatus, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { SupportedMethod, SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import { StreamsService, type IStreamsServer } from '@eventstore/db-client/generated/streams_grpc_pb';
import type { Empty } from '@eventstore/db-client/generated/shared_pb';
import { ReadService } from './read-service';
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
  stop(): Promise<void>;
}

export async function startEventStoreDbDouble(options: EventStoreDbDoubleOptions = {}): Promise<EventStoreDbDouble> {
  const log = new TransactionLog(options.maxAppendSize ?? DEFAULT_MAX_APPEND_SIZE);
  const reads = new ReadService(log);
  const writes = new WriteService(log);
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
  const server = new Server();
  server.addService(StreamsService, streamsImplementation);
  server.addService(ServerFeaturesService, {
    getSupportedMethods: (_call: ServerUnaryCall<Empty, SupportedMethods>, callback: sendUnaryData<SupportedMethods>) =>
      callback(null, supportedMethods(advertiseBatchAppend)),
  });
  const host = options.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );

  return {
    connectionString: `esdb://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}?tls=false`,
    port,
    calls,
    dropSubscriptions: (code) => reads.dropSubscriptions(code),
    scavenge: () => log.scavenge(),
    stop: async () => {
      reads.dropSubscriptions(GrpcStatus.UNAVAILABLE);
      server.forceShutdown();
    },
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
