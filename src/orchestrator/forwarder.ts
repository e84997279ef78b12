// Forwards alerts to a falcosidekick-compatible endpoint: one HTTP POST of
// the Falco JSON alert per alert (what falcosidekick's `POST /` accepts).
// A bounded queue with a few requests in flight; network errors and 5xx are
// retried with capped, jittered backoff; 4xx (the endpoint refuses the alert)
// and overflow are counted as dropped and logged (rate-limited). Never throws.

import type { FalcoAlert } from '../model/alert.js';
import type { LoggerLike } from '../alerts/alert-queue.js';
import { backoffDelay } from '../util/backoff.js';
import { LogLimit } from '../alerts/log-limit.js';

export interface ForwarderOptions {
  url: string;
  logger: LoggerLike;
  queueMax?: number;
  concurrency?: number;
  maxAttempts?: number;
  timeoutMs?: number;
}

export interface ForwarderStats {
  forwarded: number;
  retries: number;
  dropped: number;
  rejected: number;
  depth: number;
  inFlight: number;
}

interface Item {
  body: string;
  attempts: number;
}

export class Forwarder {
  private readonly q: Item[] = [];
  private qHead = 0;
  private inFlight = 0;
  private waiting = 0;
  private readonly s = { forwarded: 0, retries: 0, dropped: 0, rejected: 0 };
  private readonly warns = new LogLimit(1, 5000);
  private closed = false;
  private readonly idle = new Set<() => void>();

  constructor(private readonly opts: ForwarderOptions) {}

  private get depth(): number {
    return this.q.length - this.qHead;
  }

  enqueue(alert: FalcoAlert): void {
    if (this.closed || this.depth + this.waiting >= (this.opts.queueMax ?? 10_000)) {
      this.s.dropped++;
      this.warn('forward queue full; alert dropped');
      return;
    }
    // Only the Falco JSON fields go out (no agent metadata).
    const { time, rule, priority, source, hostname, output, tags, output_fields } = alert;
    this.q.push({ body: JSON.stringify({ time, rule, priority, source, hostname, output, tags, output_fields }), attempts: 0 });
    this.pump();
  }

  private warn(msg: string, extra: Record<string, unknown> = {}): void {
    const t = this.warns.take();
    if (t) this.opts.logger.warn({ url: this.opts.url, ...extra, ...this.stats(), ...(t.suppressed ? { suppressed: t.suppressed } : {}) }, msg);
  }

  private pump(): void {
    const conc = this.opts.concurrency ?? 8;
    while (this.inFlight < conc && this.depth > 0) {
      const item = this.q[this.qHead++]!;
      if (this.qHead > 1024 && this.qHead * 2 > this.q.length) {
        this.q.splice(0, this.qHead);
        this.qHead = 0;
      }
      this.inFlight++;
      void this.post(item).finally(() => {
        this.inFlight--;
        this.pump();
        this.checkIdle();
      });
    }
  }

  private async post(item: Item): Promise<void> {
    item.attempts++;
    let status = 0;
    let err = '';
    try {
      const res = await fetch(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: item.body,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (e) {
      err = (e as Error).message;
    }
    if (status >= 200 && status < 300) {
      this.s.forwarded++;
      return;
    }
    if (status >= 400 && status < 500) {
      this.s.rejected++;
      this.s.dropped++;
      this.warn('forward endpoint refused an alert; dropped', { status });
      return;
    }
    if (item.attempts >= (this.opts.maxAttempts ?? 5) || this.closed) {
      this.s.dropped++;
      this.warn('forwarding failed after retries; alert dropped', { status, err });
      return;
    }
    this.s.retries++;
    this.waiting++;
    const delay = backoffDelay(item.attempts - 1, { minMs: 200, maxMs: 10_000 });
    setTimeout(() => {
      this.waiting--;
      this.q.push(item);
      this.pump();
    }, delay).unref?.();
  }

  private checkIdle(): void {
    if (this.depth === 0 && this.inFlight === 0 && this.waiting === 0) {
      for (const f of this.idle) f();
      this.idle.clear();
    }
  }

  stats(): ForwarderStats {
    return { ...this.s, depth: this.depth + this.waiting, inFlight: this.inFlight };
  }

  /** Waits up to timeoutMs for the queue to drain; what remains is counted as dropped. */
  async close(timeoutMs: number): Promise<void> {
    await new Promise<void>((resolve) => {
      if (this.depth === 0 && this.inFlight === 0 && this.waiting === 0) return resolve();
      const t = setTimeout(() => {
        this.idle.delete(done);
        resolve();
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(t);
        resolve();
      };
      this.idle.add(done);
    });
    this.closed = true;
    const left = this.depth + this.waiting + this.inFlight;
    if (left > 0) {
      this.s.dropped += left;
      this.opts.logger.warn({ left }, 'forward queue not drained at shutdown; alerts dropped (they are in the alerts file/stdout)');
    }
  }
}
