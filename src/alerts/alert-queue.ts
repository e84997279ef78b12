// The agent's store of alerts not yet acknowledged by the orchestrator: a
// bounded in-memory queue, optionally extended by a bounded on-disk spool.
// Owns sequence numbering (1, 2, 3... per agent), the send cursor and the
// drop counter. Order is preserved: memory holds the oldest alerts, the spool
// the newest; as acks free memory, the spool is read back in order.
// Never throws: spool I/O errors disable the spool (warned once) and count.

import { closeSync, ftruncateSync, mkdirSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { FalcoAlert } from '../model/alert.js';

export interface QueuedAlert {
  seq: number;
  alert: FalcoAlert;
}

export interface LoggerLike {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
}

export interface AlertQueueOptions {
  /** Alerts kept in memory (default 10000). */
  memMax?: number;
  /** Directory for the on-disk spool; omitted: memory only. */
  spoolDir?: string;
  /** Spool bound in bytes (default 64 MiB). */
  spoolMaxBytes?: number;
  /** Used in the spool file name. */
  name: string;
  logger: LoggerLike;
}

export interface AlertQueueStats {
  /** Alerts accepted (given a sequence number). */
  queued: number;
  /** Alerts refused because memory and spool were full. */
  dropped: number;
  acked: number;
  /** Unacknowledged alerts held (memory + spool). */
  depth: number;
  memDepth: number;
  spoolDepth: number;
  spoolBytes: number;
  spoolErrors: number;
  spoolEnabled: boolean;
  lastSeq: number;
  ackedSeq: number;
}

const READ_CHUNK = 1 << 20;

export class AlertQueue {
  private readonly memMax: number;
  private readonly spoolMaxBytes: number;
  private readonly logger: LoggerLike;
  private mem: QueuedAlert[] = [];
  private head = 0; // index of the oldest live entry in mem
  private nextSeq = 1;
  private cursor = 1; // next sequence to send
  private ackedSeq = 0;
  private queued = 0;
  private dropped = 0;
  private acked = 0;
  // spool state
  private spoolPath: string | undefined;
  private fd: number | undefined;
  private readPos = 0;
  private writePos = 0;
  private spoolCount = 0;
  private spoolErrors = 0;

  constructor(opts: AlertQueueOptions) {
    this.memMax = Math.max(1, opts.memMax ?? 10_000);
    this.spoolMaxBytes = Math.max(0, opts.spoolMaxBytes ?? 64 * 1024 * 1024);
    this.logger = opts.logger;
    if (opts.spoolDir && this.spoolMaxBytes > 0) {
      const safe = opts.name.replace(/[^A-Za-z0-9_.-]/g, '_');
      const path = join(opts.spoolDir, `alerts-${safe}.spool`);
      try {
        mkdirSync(opts.spoolDir, { recursive: true });
        this.fd = openSync(path, 'w+');
        this.spoolPath = path;
      } catch (e) {
        this.logger.warn({ spoolDir: opts.spoolDir, err: (e as Error).message }, 'alert spool unavailable (read-only filesystem?); keeping unacknowledged alerts in memory only');
      }
    }
  }

  private get memLen(): number {
    return this.mem.length - this.head;
  }

  /** Accepts an alert, or counts it as dropped when full. O(1) amortised, never throws. */
  push(alert: FalcoAlert): boolean {
    if (this.spoolCount === 0 && this.memLen < this.memMax) {
      this.mem.push({ seq: this.nextSeq++, alert });
      this.queued++;
      return true;
    }
    if (this.fd !== undefined) {
      let line: string;
      try {
        line = JSON.stringify({ seq: this.nextSeq, alert }) + '\n';
      } catch {
        this.dropped++;
        return false;
      }
      const bytes = Buffer.byteLength(line);
      // The bound is on the file's size: it is truncated each time the spool empties.
      if (this.writePos + bytes <= this.spoolMaxBytes) {
        try {
          writeSync(this.fd, line, this.writePos);
          this.writePos += bytes;
          this.spoolCount++;
          this.nextSeq++;
          this.queued++;
          return true;
        } catch (e) {
          this.spoolErrors++;
          this.disableSpool(e as Error);
        }
      }
    }
    this.dropped++;
    return false;
  }

  /** The next unsent alerts (at most max), advancing the send cursor. */
  nextBatch(max: number): QueuedAlert[] {
    this.refill();
    const out: QueuedAlert[] = [];
    const first = this.mem[this.head];
    if (!first) return out;
    // Sequences in memory increase (gaps only after a spool failure): binary search.
    let lo = this.head;
    let hi = this.mem.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.mem[mid]!.seq < this.cursor) lo = mid + 1;
      else hi = mid;
    }
    let i = lo;
    // A batch is consecutive sequences (alerts[i] is firstSeq + i): it stops at a hole.
    while (out.length < max && i < this.mem.length && (out.length === 0 || this.mem[i]!.seq === out[out.length - 1]!.seq + 1)) {
      out.push(this.mem[i]!);
      i++;
    }
    if (out.length) this.cursor = out[out.length - 1]!.seq + 1;
    return out;
  }

  /** The oldest sequence still held (the next one to be given when none is held): nothing lower is ever sent again. */
  oldestSeq(): number {
    return this.mem[this.head]?.seq ?? this.nextSeq - this.spoolCount;
  }

  /** Alerts sent but not acked: after a reconnect they are sent again. */
  rewind(): void {
    this.cursor = this.ackedSeq + 1;
  }

  /** Unsent alerts are waiting in memory or the spool. */
  hasUnsent(): boolean {
    return this.cursor < this.nextSeq;
  }

  /** Sent and not yet acknowledged. */
  inFlight(): number {
    return this.cursor - 1 - this.ackedSeq;
  }

  /** Cumulative acknowledgement: frees every alert with sequence <= seq. */
  ack(seq: number): void {
    if (seq <= this.ackedSeq) return;
    seq = Math.min(seq, this.nextSeq - 1);
    while (this.head < this.mem.length && this.mem[this.head]!.seq <= seq) {
      this.head++;
      this.acked++;
    }
    if (this.head > 4096 && this.head * 2 > this.mem.length) {
      this.mem = this.mem.slice(this.head);
      this.head = 0;
    }
    this.ackedSeq = seq;
    if (this.cursor <= seq) this.cursor = seq + 1;
    this.refill();
  }

  private refill(): void {
    if (this.fd === undefined || this.spoolCount === 0) return;
    while (this.spoolCount > 0 && this.memLen < this.memMax) {
      const want = Math.min(READ_CHUNK, this.writePos - this.readPos);
      if (want <= 0) break;
      const buf = Buffer.allocUnsafe(want);
      let n: number;
      try {
        n = readSync(this.fd, buf, 0, want, this.readPos);
      } catch (e) {
        this.spoolErrors++;
        this.disableSpool(e as Error);
        return;
      }
      if (n <= 0) break;
      const text = buf.subarray(0, n).toString('utf8');
      let start = 0;
      let consumed = 0;
      for (;;) {
        if (this.memLen >= this.memMax) break;
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        const line = text.slice(start, nl);
        start = nl + 1;
        consumed += Buffer.byteLength(line) + 1;
        this.spoolCount--;
        try {
          const e = JSON.parse(line) as QueuedAlert;
          this.mem.push(e);
        } catch {
          this.spoolErrors++;
          this.dropped++;
        }
      }
      if (consumed === 0) break;
      this.readPos += consumed;
    }
    if (this.spoolCount === 0) {
      this.readPos = 0;
      this.writePos = 0;
      try {
        ftruncateSync(this.fd, 0);
      } catch {
        /* next writes overwrite from 0 anyway */
      }
    }
  }

  private disableSpool(err: Error): void {
    this.logger.warn({ spool: this.spoolPath, err: err.message, lost: this.spoolCount }, 'alert spool failed; continuing memory-only, spooled alerts counted as dropped');
    this.dropped += this.spoolCount;
    this.queued -= this.spoolCount;
    // The spooled alerts were the newest and none was sent (only memory is):
    // their sequences are given again, so the lost alerts leave no hole.
    this.nextSeq -= this.spoolCount;
    this.spoolCount = 0;
    this.closeSpool();
  }

  private closeSpool(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        /* ignore */
      }
      this.fd = undefined;
      if (this.spoolPath) {
        try {
          unlinkSync(this.spoolPath);
        } catch {
          /* ignore */
        }
      }
    }
  }

  /** Counts one alert refused outside the queue (e.g. after close). */
  countDrop(): void {
    this.dropped++;
  }

  /** Counts everything still held as dropped (used at exit when the flush timed out). */
  abandon(): number {
    const n = this.depth();
    this.dropped += n;
    return n;
  }

  depth(): number {
    return this.memLen + this.spoolCount;
  }

  stats(): AlertQueueStats {
    return {
      queued: this.queued,
      dropped: this.dropped,
      acked: this.acked,
      depth: this.depth(),
      memDepth: this.memLen,
      spoolDepth: this.spoolCount,
      spoolBytes: this.writePos - this.readPos,
      spoolErrors: this.spoolErrors,
      spoolEnabled: this.fd !== undefined,
      lastSeq: this.nextSeq - 1,
      ackedSeq: this.ackedSeq,
    };
  }

  close(): void {
    this.closeSpool();
  }
}
