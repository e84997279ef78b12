// The capture file on disk: blocks are appended to a bounded in-memory queue
// and written in batches by asynchronous writes, so the event path never
// waits on the disk. When the queue is full (a slow disk) or a write fails (a full
// disk), whole events are dropped and counted; a failed write is cut back to
// the last whole block so the file stays readable. With a size bound, the
// file rotates to PATH.1 (replacing an older one) and a new file starts with
// a fresh header (the state at that moment).
import { close, ftruncate, open, rename, write } from 'node:fs';

/** Blocks are written in batches: when this many bytes are queued, or after BATCH_MS. One write per batch, not per event. */
const BATCH_BYTES = 256 * 1024;
const BATCH_MS = 20;

export interface CaptureFileOptions {
  path: string;
  /** Rotate when the file would grow beyond this (0: never). */
  maxBytes: number;
  /** The header blocks for a new file: the section header and the state tables, as of now. */
  header(): Buffer;
  /** Bytes queued for the disk, at most, before events are dropped (default 8 MiB). */
  maxQueuedBytes?: number;
  onError(message: string): void;
}

export interface CaptureFileCounters {
  captureEvents: number;
  captureBytes: number;
  captureDropped: number;
  captureRotations: number;
}

type Item = { buf: Buffer; events: number } | { rotate: true; header: Buffer };

export class CaptureFile {
  private fd: number | undefined;
  private opening = true;
  private queue: Item[] = [];
  private queued = 0;
  private writing = false;
  private failed = false;
  /** Bytes of the current file once the queue is written (for rotation). */
  private fileBytes = 0;
  /** Bytes known to be on disk in whole blocks (truncation point after a failed write). */
  private goodBytes = 0;
  private closed = false;
  /** The header is built at the first event, so that it holds the state the events start from. */
  private started = false;
  private headerBytes = 0;
  private idle: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  readonly counters: CaptureFileCounters = { captureEvents: 0, captureBytes: 0, captureDropped: 0, captureRotations: 0 };
  private readonly maxQueued: number;

  constructor(private readonly o: CaptureFileOptions) {
    this.maxQueued = o.maxQueuedBytes ?? 8 * 1024 * 1024;
    open(o.path, 'w', 0o600, (err, fd) => {
      this.opening = false;
      if (err) {
        this.fail(`cannot open capture file ${o.path}: ${err.message}; capture is off (events counted as dropped)`);
        this.counters.captureDropped += this.dropQueue();
        this.wake();
        return;
      }
      this.fd = fd;
      this.pump();
    });
  }

  /** Appends one block holding `events` events; false when it was dropped. Never blocks, never throws. */
  append(block: Buffer, events = 1): boolean {
    if (this.closed || (this.failed && this.fd === undefined && !this.opening)) {
      this.counters.captureDropped += events;
      return false;
    }
    if (this.queued + block.length > this.maxQueued) {
      this.counters.captureDropped += events;
      return false;
    }
    if (!this.started) {
      this.started = true;
      const header = this.o.header();
      this.queue.push({ buf: header, events: 0 });
      this.queued += header.length;
      this.fileBytes = this.headerBytes = header.length;
    }
    // a file holds at least one event, whatever the bound
    if (this.o.maxBytes > 0 && this.fileBytes > this.headerBytes && this.fileBytes + block.length > this.o.maxBytes) {
      const header = this.o.header();
      this.queue.push({ rotate: true, header });
      this.queued += header.length;
      this.fileBytes = this.headerBytes = header.length;
    }
    this.queue.push({ buf: block, events });
    this.queued += block.length;
    this.fileBytes += block.length;
    if (this.queued >= BATCH_BYTES) this.pump();
    else this.schedule();
    return true;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => this.pump(), BATCH_MS);
    this.timer.unref();
  }

  /** Resolves when everything queued so far is written (or dropped), at most timeoutMs. */
  flush(timeoutMs: number): Promise<void> {
    if (!this.writing && !this.opening && this.queue.length === 0) return Promise.resolve();
    this.pump();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.idle.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  async close(timeoutMs: number): Promise<void> {
    if (!this.started) this.append(Buffer.alloc(0), 0); // a capture of nothing still has its header
    await this.flush(timeoutMs);
    this.closed = true;
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await new Promise<void>((r) => close(fd, () => r()));
  }

  private fail(message: string): void {
    if (!this.failed) this.o.onError(message);
    this.failed = true;
  }

  private dropQueue(): number {
    let n = 0;
    for (const it of this.queue) if ('events' in it) n += it.events;
    this.queue = [];
    this.queued = 0;
    return n;
  }

  private wake(): void {
    const w = this.idle;
    this.idle = [];
    for (const f of w) f();
  }

  private pump(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.writing || this.opening || this.fd === undefined) return;
    const head = this.queue[0];
    if (head === undefined) {
      this.wake();
      return;
    }
    this.writing = true;
    if ('rotate' in head) {
      this.queue.shift();
      this.queued -= head.header.length;
      this.rotate(head.header);
      return;
    }
    // everything up to the next rotation, in one write
    let n = 0;
    while (n < this.queue.length && 'events' in this.queue[n]!) n++;
    const batch = this.queue.splice(0, n) as { buf: Buffer; events: number }[];
    let events = 0;
    for (const it of batch) events += it.events;
    const data = Buffer.concat(batch.map((it) => it.buf));
    const bytes = data.length;
    this.queued -= bytes;
    write(this.fd, data, 0, bytes, null, (err, written) => {
      if (err || written !== bytes) {
        this.fail(`capture file ${this.o.path}: write failed (${err?.message ?? `short write, ${written} of ${bytes} bytes`}); events are dropped and counted while it fails`);
        this.counters.captureDropped += events;
        // cut a partly written block off, so readers see whole blocks only
        if (written > 0 && this.fd !== undefined) ftruncate(this.fd, this.goodBytes, () => this.done());
        else this.done();
        return;
      }
      this.goodBytes += bytes;
      this.counters.captureEvents += events;
      this.counters.captureBytes += bytes;
      this.done();
    });
  }

  private done(): void {
    this.writing = false;
    // the next batch when it is full, or someone waits for it; else after BATCH_MS
    if (this.queued >= BATCH_BYTES || this.idle.length > 0 || this.queue.length === 0) this.pump();
    else this.schedule();
  }

  private rotate(header: Buffer): void {
    const fd = this.fd!;
    this.fd = undefined;
    close(fd, () => {
      rename(this.o.path, this.o.path + '.1', (err) => {
        if (err) this.fail(`capture file ${this.o.path}: cannot rotate to ${this.o.path}.1: ${err.message}`);
        open(this.o.path, 'w', 0o600, (err2, nfd) => {
          if (err2) {
            this.fail(`capture file ${this.o.path}: cannot reopen after rotation: ${err2.message}; capture is off`);
            this.counters.captureDropped += this.dropQueue();
            this.writing = false;
            this.wake();
            return;
          }
          this.fd = nfd;
          this.goodBytes = 0;
          this.counters.captureRotations++;
          this.queue.unshift({ buf: header, events: 0 });
          this.queued += header.length;
          this.writing = false;
          this.pump();
        });
      });
    });
  }
}
