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
