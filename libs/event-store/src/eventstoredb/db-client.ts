import type * as EventStoreDbClientModule from '@eventstore/db-client';

let loaded: typeof EventStoreDbClientModule | undefined;

/**
 * The EventStoreDB client, loaded on first use. It brings gRPC and protobuf (~180 modules, ~20 MiB of memory) that
 * a service on the embedded store never uses, yet this package's index exports the EventStoreDB adapters; so they
 * import the client's types only (`import type`) and reach its values through this function.
 */
export function dbClient(): typeof EventStoreDbClientModule {
  return (loaded ??= require('@eventstore/db-client') as typeof EventStoreDbClientModule);
}

/** The client if anything in this process has loaded it; without it no error can be one of the client's. */
export function loadedDbClient(): typeof EventStoreDbClientModule | undefined {
  return loaded ?? (require.cache[require.resolve('@eventstore/db-client')] ? dbClient() : undefined);
}

/**
 * One client for all of a process's EventStoreDB adapters (log, vault, checkpoints), which its owner disposes after
 * closing them. Not one client each: @eventstore/db-client 6.2.1 keeps the pending BatchAppend calls of every
 * client in one module-wide map, so an error on one client's append stream (disposing that client is one) rejects
 * the appends in flight on the others, and their answers, arriving later, then throw inside the gRPC callback
 * (`TypeError: undefined is not iterable`, batchAppend.js) and end the process. Fixed upstream in the client's
 * successor (kurrent-io/KurrentDB-Client-NodeJS#523). With one client there is one append stream: when it fails,
 * no answer can still arrive on it.
 */
export function openSharedEventStoreDbClient(connectionString: string): EventStoreDbClientModule.EventStoreDBClient {
  return dbClient().EventStoreDBClient.connectionString(connectionString);
}
