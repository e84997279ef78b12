// Local alert sinks and their fan-out. A sink takes one FalcoAlert and must
// not block or throw; failures are counted as drops. Sinks here:
//   - log sink: one log line per alert (through the agent's logger);
//   - file sink (`--alerts-file`): one JSON line per alert, appended through a
//     bounded write buffer, errors counted, never thrown;
//   - the orchestrator link (orchestrator-link.ts) fits as a sink via `linkSink`.
// `AlertSinks` fans an alert out to every sink and keeps per-sink counters.

import { createWriteStream, type WriteStream } from 'node:fs';
import type { FalcoAlert } from '../model/alert.js';
import type { LoggerLike } from './alert-queue.js';
import type { OrchestratorLink } from './orchestrator-link.js';

export interface SinkCounters {
  sent: number;
  dropped: number;
}

export interface AlertSink {
  readonly name: string;
  /** Accepts the alert; returns false when it had to drop it. Never throws, never blocks. */
  write(alert: FalcoAlert): boolean;
  /** Flushes and releases resources; resolves within timeoutMs. */
  close(timeoutMs: number): Promise<void>;
  /** Drops the sink counted itself (e.g. asynchronous write errors). */
  droppedInternally?(): number;
}

/** Alerts as log lines: warn level for Warning and above, info below. */
export function createLogSink(logger: LoggerLike): AlertSink {
  const high = new Set(['Emergency', 'Alert', 'Critical', 'Error', 'Warning']);
  return {
    name: 'log',
    write(alert) {
      const fields = { alert: { rule: alert.rule, priority: alert.priority, time: alert.time, tags: alert.tags, output_fields: alert.output_fields } };
      if (high.has(alert.priority)) logger.warn(fields, alert.output);
      else logger.info(fields, alert.output);
      return true;
    },
    async close() {},
  };
}

export interface FileSinkOptions {
  path: string;
  logger: LoggerLike;
  /** Bytes buffered while the disk is slow before alerts are dropped (default 8 MiB). */
  maxBufferedBytes?: number;
}

/** One JSON line per alert, appended to a file. */
export function createFileSink(opts: FileSinkOptions): AlertSink {
  const maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
  let stream: WriteStream | undefined;
  let failed = false;
  let asyncDropped = 0;
  let pendingLines = 0;
  const fail = (err: Error): void => {
    if (!failed) opts.logger.error({ path: opts.path, err: err.message }, 'alerts file unwritable; its alerts are counted as dropped');
    failed = true;
    asyncDropped += pendingLines;
    pendingLines = 0;
  };
  try {
    stream = createWriteStream(opts.path, { flags: 'a' });
    stream.on('error', fail);
  } catch (e) {
    fail(e as Error);
  }
  return {
    name: 'file',
    write(alert) {
      if (failed || !stream || stream.writableLength > maxBuffered) return false;
      let line: string;
      try {
        line = JSON.stringify(alert) + '\n';
      } catch {
        return false;
      }
      pendingLines++;
      stream.write(line, (err) => {
        if (err) return; // counted by fail()
        if (pendingLines > 0) pendingLines--;
      });
      return true;
    },
    droppedInternally: () => asyncDropped,
    close(timeoutMs) {
      return new Promise((resolve) => {
        if (!stream || failed) return resolve();
        const t = setTimeout(resolve, timeoutMs);
        stream.end(() => {
          clearTimeout(t);
          resolve();
        });
      });
    },
  };
}

/** The orchestrator link as a sink; its drops (queue full, unacknowledged at exit) come from link.stats(). */
export function linkSink(link: OrchestratorLink): AlertSink {
  return {
    name: 'orchestrator',
    write(alert) {
      link.send(alert);
      return true;
    },
    droppedInternally: () => link.stats().dropped,
    close: (timeoutMs) => link.close(timeoutMs),
  };
}

/** Fan-out with per-sink counters. */
export class AlertSinks {
  private readonly sinks: AlertSink[] = [];
  private readonly counters = new Map<string, SinkCounters>();
  private total = 0;

  constructor(sinks: AlertSink[] = []) {
    for (const s of sinks) this.add(s);
  }

  add(sink: AlertSink): void {
    this.sinks.push(sink);
    this.counters.set(sink.name, { sent: 0, dropped: 0 });
  }

  /** Delivers to every sink; never throws. */
  emit(alert: FalcoAlert): void {
    this.total++;
    for (const s of this.sinks) {
      const c = this.counters.get(s.name)!;
      let ok = false;
      try {
        ok = s.write(alert);
      } catch {
        ok = false;
      }
      if (ok) c.sent++;
      else c.dropped++;
    }
  }

  /** Per-sink counters; `dropped` includes drops a sink found after accepting (async write errors). */
  stats(): { alerts: number; sinks: Record<string, SinkCounters> } {
    const out: Record<string, SinkCounters> = {};
    for (const s of this.sinks) {
      const c = this.counters.get(s.name)!;
      const late = s.droppedInternally?.() ?? 0;
      out[s.name] = { sent: c.sent - late, dropped: c.dropped + late };
    }
    return { alerts: this.total, sinks: out };
  }

  /** Flat counters for heartbeats: alerts, sink_<name>_sent, sink_<name>_dropped. */
  counterMap(): Record<string, number> {
    const st = this.stats();
    const m: Record<string, number> = { alerts: st.alerts };
    for (const [n, c] of Object.entries(st.sinks)) {
      m[`sink_${n}_sent`] = c.sent;
      m[`sink_${n}_dropped`] = c.dropped;
    }
    return m;
  }

  async close(timeoutMs: number): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close(timeoutMs).catch(() => undefined)));
  }
}
