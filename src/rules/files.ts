// Reading a rules file from disk: only a regular file under a size limit,
// so `/dev/zero` (endless), a FIFO (blocks until a writer comes) or a huge
// file give a clear error instead of exhausting memory or hanging start-up.

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Largest rules file (or pushed file) we read; the upstream files are ~200 KB. */
export const MAX_RULES_FILE_BYTES = 16 * 1024 * 1024;

/** Reads one rules file, or says why not (never throws, never blocks on a FIFO). */
export function readRulesFile(path: string): { name: string; content: string } | { name: string; error: string } {
  let fd: number | undefined;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile()) return { name: path, error: `Could not read file ${path}: not a regular file` };
    if (st.size > MAX_RULES_FILE_BYTES) {
      return { name: path, error: `Could not read file ${path}: ${st.size} bytes, more than the limit of ${MAX_RULES_FILE_BYTES}` };
    }
    // Read at most limit+1 bytes: a file that grows while read is still bounded.
    const buf = Buffer.allocUnsafe(Math.min(st.size, MAX_RULES_FILE_BYTES) + 1);
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n === buf.length) break;
    }
    if (n > st.size) return { name: path, error: `Could not read file ${path}: it grew while being read` };
    return { name: path, content: buf.subarray(0, n).toString('utf8') };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { name: path, error: `Could not read file ${path}: ${err.code ?? ''}${err.code ? ' ' : ''}${err.message.replace(/^[A-Z]+: /, '')}` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
