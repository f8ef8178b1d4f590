import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Writes one chunk, waiting for the stream to drain when its buffer is full (large exports stay in bounded memory). */
export async function write(stream: Writable, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

export async function writeLines(stream: Writable, lines: readonly string[]): Promise<void> {
  await write(stream, lines.map((line) => `${line}\n`).join(''));
}
