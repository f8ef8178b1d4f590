import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Creates `file` holding `content` unless the name is taken, such that no reader ever sees it partly written: the
 * content goes to a temporary file beside it and reaches the disk first, then a hard link gives it the name (which
 * fails if another process got there first) and the directory entry is flushed. Returns false when the file already
 * existed; it is left as it was. For development keys made on first start, which several instances sharing one
 * data directory may race to create: with a plain exclusive create, a racing reader could find the new file still
 * empty and fail.
 */
export function createFileOnce(file: string, content: string, mode: number): boolean {
  const temporary = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temporary);
  }
  const directory = openSync(dirname(file), 'r');
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
  return true;
}
