// The agent logger's destination: a pino-compatible `write(line)` object that
// ships whole log lines over one TCP connection to the logwriter sidecar
// (default 127.0.0.1:32000) and falls back to stderr when nothing listens.
//
// Rules it keeps, because the workload must never notice the agent's logging:
// - write() never throws and never blocks: the bytes held in memory are
//   bounded (queue while connecting, socket/stderr write buffers otherwise);
//   a line that does not fit is dropped whole and counted, and the count is
//   reported in a later line (`dropped N log lines`) once there is room.
// - sockets and timers are unref'ed: logging never keeps the process alive.
// - modes: `pending` (a connect attempt is in flight, lines are queued),
//   `tcp` (connected), `stderr` (nothing listens: lines go to stderr and a
//   reconnect is retried in the background with capped exponential backoff;
//   the sink switches to TCP as soon as a listener appears), `closed`.
//   A broken connection goes back to `pending` and reconnects at once; if that
//   fails, to `stderr`.
import { backoffDelay } from '../util/backoff.js';
import net from 'node:net';

export interface LineSinkOptions {
  host: string;
  port: number;
  /** Fallback stream when nothing listens on host:port. */
  stderr: NodeJS.WritableStream;
  /** Bound on bytes held in memory (queue, or the socket's / stderr's write buffer). */
  maxBufferBytes: number;
  /** First reconnect delay; doubles per failed attempt up to reconnectMaxMs. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** A connect attempt that neither succeeds nor fails within this counts as failed. */
  connectTimeoutMs: number;
  /** Added as `name` to the sink's own `dropped N log lines` report. */
  name?: string;
}

export interface LineSinkStats {
  /** Lines handed to the TCP socket (acknowledged written) or to stderr. */
  lines: number;
  /** Whole lines dropped: buffer full, or lost when a connection broke. */
  dropped: number;
  /** A TCP connection to the logwriter is established. */
  connected: boolean;
  /** Bytes currently held in memory by the sink. */
  bufferedBytes: number;
}

type Mode = 'pending' | 'tcp' | 'stderr' | 'closed';
type Writable = NodeJS.WritableStream & { writableLength?: number };

const errorListenerAdded = new WeakSet<object>();
function ignore(): void {}

export class LineSink {
  private mode: Mode = 'pending';
  /** The established connection (mode tcp). */
  private socket: net.Socket | null = null;
  /** A connect attempt in flight. */
  private attempt: net.Socket | null = null;
  private queue: string[] = [];
  private queueBytes = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Reconnect attempts since the last success (src/util/backoff.ts, no jitter: one local sidecar). */
  private failures = 0;
  private lines = 0;
  private dropped = 0;
  private reported = 0;
  /** Dropping until the buffer is back under half the bound (whole runs of lines, one report per run). */
  private overflow = false;
  private readonly opts: LineSinkOptions;
  private readonly stderr: Writable;
  // Allocated once: per-line callbacks count what the socket did with a line.
  private readonly onLineWritten = (err?: Error | null): void => {
    if (err) this.dropped++;
    else this.lines++;
  };

  constructor(opts: LineSinkOptions) {
    this.opts = opts;
    this.stderr = opts.stderr as Writable;
    // A closed stderr (EPIPE) must not become an uncaught 'error'.
    try {
      if (!errorListenerAdded.has(this.stderr) && typeof this.stderr.on === 'function') {
        this.stderr.on('error', ignore);
        errorListenerAdded.add(this.stderr);
      }
    } catch {
      /* a stream without listeners is still usable */
    }
    this.connect();
  }

  /** pino calls this with one serialized line (ending in "\n"). Never throws. */
  write(chunk: string): void {
    try {
      if (this.mode === 'closed') {
        this.dropped++;
        return;
      }
      const line = chunk.endsWith('\n') ? chunk : chunk + '\n';
      const bytes = Buffer.byteLength(line);
      if (this.mode === 'tcp') this.toSocket(line, bytes);
      else if (this.mode === 'stderr') this.toStderr(line, bytes);
      else this.enqueue(line, bytes);
    } catch {
      this.dropped++;
    }
  }

  stats(): LineSinkStats {
    return { lines: this.lines, dropped: this.dropped, connected: this.mode === 'tcp', bufferedBytes: this.bufferedBytes() };
  }

  /**
   * Resolve once everything buffered has been handed to the kernel (or to
   * stderr), or after timeoutMs, whichever comes first. Never rejects. The
   * wait itself keeps the process alive for at most timeoutMs.
   */
  flush(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const deadline = Date.now() + Math.max(0, timeoutMs);
      let timer: NodeJS.Timeout | null = null;
      const check = (): void => {
        let done = true;
        try {
          this.reportDrops();
          done = this.idle() || Date.now() >= deadline;
        } catch {
          /* treat as done */
        }
        if (!done) return;
        if (timer) clearInterval(timer);
        resolve();
      };
      // Short polls: the agent's exit (the workload's exit as PID 1) waits on this.
      timer = setInterval(check, 1);
      check();
    });
  }

  /** Stop: no more reconnects; what is in the socket's buffer is still sent if possible. */
  close(): void {
    if (this.mode === 'closed') return;
    this.mode = 'closed';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.dropped += this.queue.length;
    this.queue = [];
    this.queueBytes = 0;
    const attempt = this.attempt;
    this.attempt = null;
    attempt?.destroy();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      try {
        socket.end();
      } catch {
        socket.destroy();
      }
    }
  }

  private idle(): boolean {
    switch (this.mode) {
      case 'closed':
        return true;
      case 'pending':
        return this.queue.length === 0;
      case 'tcp':
        return this.queue.length === 0 && this.dropped === this.reported && (this.socket?.writableLength ?? 0) === 0;
      case 'stderr':
        return this.queue.length === 0 && this.dropped === this.reported && (this.stderr.writableLength ?? 0) === 0;
    }
  }

  private bufferedBytes(): number {
    if (this.mode === 'tcp') return this.queueBytes + (this.socket?.writableLength ?? 0);
    if (this.mode === 'stderr') return this.queueBytes + (this.stderr.writableLength ?? 0);
    return this.queueBytes;
  }

  /**
   * May a line of `bytes` join `buffered` bytes? Once a line has been dropped,
   * drop everything until the buffer has drained to half the bound, so drops
   * come in runs and each run gets one report.
   */
  private admit(buffered: number, bytes: number): boolean {
    const max = this.opts.maxBufferBytes;
    if (this.overflow) {
      if (buffered > max / 2) {
        this.dropped++;
        return false;
      }
      this.overflow = false;
    }
    if (buffered + bytes > max) {
      this.overflow = true;
      this.dropped++;
      return false;
    }
    return true;
  }

  private enqueue(line: string, bytes: number): void {
    if (!this.admit(this.queueBytes, bytes)) return;
    this.queue.push(line);
    this.queueBytes += bytes;
  }

  private toSocket(line: string, bytes: number): void {
    const socket = this.socket;
    if (!socket) {
      this.enqueue(line, bytes);
      return;
    }
    if (!this.admit(socket.writableLength, bytes)) return;
    if (this.dropped > this.reported) this.reportDrops();
    socket.write(line, this.onLineWritten);
  }

  private toStderr(line: string, bytes: number): void {
    if (!this.admit(this.stderr.writableLength ?? 0, bytes)) return;
    if (this.dropped > this.reported) this.reportDrops();
    this.stderr.write(line);
    this.lines++;
  }

  /** Write `dropped N log lines` if lines were dropped since the last report and the buffer has room. */
  private reportDrops(): void {
    const n = this.dropped - this.reported;
    if (n <= 0) return;
    const buffered = this.mode === 'tcp' ? (this.socket?.writableLength ?? 0) : (this.stderr.writableLength ?? 0);
    if (this.overflow) {
      if (buffered > this.opts.maxBufferBytes / 2) return;
      this.overflow = false;
    }
    const name = this.opts.name === undefined ? '' : `,"name":${JSON.stringify(this.opts.name)}`;
    const line = `{"level":"warn","time":"${new Date().toISOString()}"${name},"dropped":${n},"msg":"dropped ${n} log lines"}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.mode === 'tcp' && this.socket) {
      if (this.socket.writableLength + bytes > this.opts.maxBufferBytes) return;
      this.reported += n;
      this.socket.write(line, ignore);
    } else if (this.mode === 'stderr') {
      if ((this.stderr.writableLength ?? 0) + bytes > this.opts.maxBufferBytes) return;
      this.reported += n;
      this.stderr.write(line);
    }
  }

  private drainQueue(): void {
    const queue = this.queue;
    this.queue = [];
    this.queueBytes = 0;
    for (const line of queue) {
      const bytes = Buffer.byteLength(line);
      if (this.mode === 'tcp') this.toSocket(line, bytes);
      else this.toStderr(line, bytes);
    }
    this.reportDrops();
  }

  private connect(): void {
    if (this.attempt || this.mode === 'closed' || this.mode === 'tcp') return;
    let s: net.Socket;
    try {
      s = net.createConnection({ host: this.opts.host, port: this.opts.port });
    } catch {
      this.onConnectFailed();
      return;
    }
    this.attempt = s;
    s.unref();
    s.setNoDelay(true);
    s.setTimeout(this.opts.connectTimeoutMs);
    s.on('error', ignore); // 'close' follows every error
    s.on('timeout', () => {
      if (this.attempt === s) s.destroy();
    });
    s.on('data', ignore); // the logwriter sends nothing; never let it pile up
    s.once('connect', () => {
      s.setTimeout(0);
      if (this.attempt !== s || this.mode === 'closed') {
        s.destroy();
        return;
      }
      this.attempt = null;
      this.socket = s;
      this.mode = 'tcp';
      this.failures = 0;
      this.drainQueue();
    });
    s.on('drain', () => {
      if (this.socket === s) this.reportDrops();
    });
    s.once('close', () => {
      if (this.attempt === s) {
        this.attempt = null;
        this.onConnectFailed();
      } else if (this.socket === s) {
        this.socket = null;
        this.onDisconnected();
      }
    });
  }

  private onConnectFailed(): void {
    if (this.mode === 'closed') return;
    if (this.mode === 'pending') {
      this.mode = 'stderr';
      this.drainQueue();
    }
    this.scheduleRetry();
  }

  private onDisconnected(): void {
    if (this.mode === 'closed') return;
    // Queue (bounded) while one immediate reconnect is tried; if it fails the
    // queue goes to stderr (onConnectFailed).
    this.mode = 'pending';
    this.failures = 0;
    this.connect();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.mode === 'closed') return;
    const delay = backoffDelay(this.failures++, { minMs: this.opts.reconnectMinMs, maxMs: this.opts.reconnectMaxMs, random: () => 1 });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
    this.retryTimer.unref();
  }
}
