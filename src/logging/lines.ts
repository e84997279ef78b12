// Line discipline for the logwriter: turns one connection's byte chunks into
// runs of whole lines, so that what reaches stdout is never a cut line.
// Pure (no I/O); one LineSplitter per connection.

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
const NL = 0x0a;
const NEWLINE = Buffer.from('\n');

export class LineSplitter {
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private readonly maxLineBytes: number;

  /**
   * maxLineBytes bounds the memory held for one unterminated line: a line that
   * grows beyond it is emitted as it is with a newline appended (the only case
   * where a line is split), so a peer that never sends "\n" cannot grow us.
   */
  constructor(maxLineBytes = DEFAULT_MAX_LINE_BYTES) {
    this.maxLineBytes = Math.max(1, maxLineBytes);
  }

  /** Bytes of the unterminated line held so far. */
  get pendingBytes(): number {
    return this.partialBytes;
  }

  /**
   * Feed one chunk. Returns the whole lines completed by it (each ending in
   * "\n", as one buffer), or null when the chunk completes no line.
   */
  push(chunk: Buffer): Buffer | null {
    const nl = chunk.lastIndexOf(NL);
    if (nl === -1) {
      this.hold(chunk);
      return this.partialBytes > this.maxLineBytes ? this.end() : null;
    }
    const head = chunk.subarray(0, nl + 1);
    const out = this.partial.length === 0 ? head : Buffer.concat([...this.partial, head]);
    this.partial = [];
    this.partialBytes = 0;
    if (nl + 1 < chunk.length) {
      // Copy: do not pin the whole chunk for a short tail.
      this.hold(Buffer.from(chunk.subarray(nl + 1)));
      if (this.partialBytes > this.maxLineBytes) {
        const tail = this.end();
        return tail ? Buffer.concat([out, tail]) : out;
      }
    }
    return out;
  }

  /** The connection ended: the unterminated last line with "\n" appended, or null. */
  end(): Buffer | null {
    if (this.partial.length === 0) return null;
    const out = Buffer.concat([...this.partial, NEWLINE]);
    this.partial = [];
    this.partialBytes = 0;
    return out;
  }

  private hold(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.partial.push(chunk);
    this.partialBytes += chunk.length;
  }
}
