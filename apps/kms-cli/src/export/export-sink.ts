import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { write } from '../output';

const FLUSH_BYTES = 64 * 1024;

/**
 * Where an export goes: stdout, or a file that appears complete or not at all (written next to it, then renamed).
 * Lines are buffered into 64 KiB writes.
 */
export class ExportSink {
  private buffered: string[] = [];
  private bufferedLength = 0;

  private constructor(
    private readonly stream: Writable,
    private readonly file?: { path: string; partial: string },
  ) {}

  static open(path?: string): ExportSink {
    if (path === undefined) return new ExportSink(process.stdout);
    const partial = `${path}.partial-${process.pid}`;
    return new ExportSink(createWriteStream(partial, { flags: 'w' }), { path, partial });
  }

  async add(chunk: string): Promise<void> {
    this.buffered.push(chunk);
    this.bufferedLength += chunk.length;
    if (this.bufferedLength >= FLUSH_BYTES) await this.flush();
  }

  async complete(): Promise<void> {
    await this.flush();
    if (!this.file) return;
    this.stream.end();
    await once(this.stream, 'close');
    renameSync(this.file.partial, this.file.path);
  }

  /** After a failure: drops a partial file. */
  abandon(): void {
    if (!this.file) return;
    this.stream.destroy();
    rmSync(this.file.partial, { force: true });
  }

  private async flush(): Promise<void> {
    if (this.buffered.length === 0) return;
    const chunk = this.buffered.join('');
    this.buffered = [];
    this.bufferedLength = 0;
    await write(this.stream, chunk);
  }
}
