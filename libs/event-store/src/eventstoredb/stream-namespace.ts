/**
 * Keyledger's streams on a shared EventStoreDB are namespaced by prefix: one for the event log, one for the
 * material vault, one for projection checkpoints. They are disjoint (none is a prefix of another), so the
 * event log never sees vault or checkpoint streams and vice versa.
 */
export interface KeyledgerStreamPrefixes {
  log: string;
  vault: string;
  checkpoint: string;
}

/** The prefixes of one deployment; deployments sharing a cluster pick different names (default `keyledger`). */
export function keyledgerStreamPrefixes(deployment = 'keyledger'): KeyledgerStreamPrefixes {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(deployment)) {
    throw new TypeError(`Deployment name '${deployment}' must be letters, digits, '.', '_' or '-' (not starting with '$')`);
  }
  return { log: `${deployment}-log-`, vault: `${deployment}-vault-`, checkpoint: `${deployment}-checkpoint-` };
}

const DEFAULT_PREFIXES = keyledgerStreamPrefixes();
export const DEFAULT_LOG_STREAM_PREFIX = DEFAULT_PREFIXES.log;
export const DEFAULT_VAULT_STREAM_PREFIX = DEFAULT_PREFIXES.vault;
export const DEFAULT_CHECKPOINT_STREAM_PREFIX = DEFAULT_PREFIXES.checkpoint;

/** Maps a component's own stream names to server stream names under one prefix, and back. */
export class StreamNamespace {
  constructor(readonly prefix: string) {
    if (typeof prefix !== 'string' || prefix.length === 0) {
      throw new TypeError('An EventStoreDB stream prefix must be a non-empty string');
    }
    if (prefix.startsWith('$')) {
      throw new TypeError(`EventStoreDB stream prefix '${prefix}' would name system streams ('$' is reserved)`);
    }
  }

  toServer(name: string): string {
    return `${this.prefix}${name}`;
  }

  contains(serverStreamName: string): boolean {
    return serverStreamName.startsWith(this.prefix);
  }

  fromServer(serverStreamName: string): string {
    return serverStreamName.slice(this.prefix.length);
  }
}
