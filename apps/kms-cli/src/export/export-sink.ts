import { once } from 'node:events';
import { createWriteStream, openSync, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { CliError } from '../cli-error';
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
    // Opened here, not by the stream, so that a path that cannot be written is one line now, not a crash later.
    const fd = cannotWriteAsCliError(path, () => openSync(partial, 'w'));
    return new ExportSink(createWriteStream(partial, { fd }), { path, partial });
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
    const { partial, path } = this.file;
    cannotWriteAsCliError(path, () => {
      try {
        renameSync(partial, path);
      } catch (error) {
        rmSync(partial, { force: true });
        throw error;
      }
    });
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

/**
 * Runs a write to `--out`; a file-system error there (a missing directory, a file where a directory is wanted, no
 * permission) is the operator's to fix, so it becomes one line and exit code 1 instead of a stack trace.
 */
export function cannotWriteAsCliError<T>(out: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code !== 'string' || !code.startsWith('E')) throw error;
    throw new CliError(`--out: cannot write ${out}: ${code} (${(error as Error).message.replace(/^E[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')})`);
  }
}
