// The tracer as the rest of the agent sees it: start the workload under the
// native tracer and receive its records in batches. The native thread never
// waits for us; when we fall behind, the ring fills and records are dropped
// and counted (stats().dropped).
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { loadAddon, type NativePathPattern, type NativeStartOptions, type NativeStats } from './native.js';
import { decodeRecords, type TraceRecord } from './records.js';

export { RecordKind, RecordFlag, ItemTag, NoticeCode, itemString, itemList, itemCreds } from './records.js';
export type { TraceRecord, Creds } from './records.js';
export type { NativeStats, NativePathPattern } from './native.js';

export interface TracerHandle {
  pid: number;
  traced: boolean;
  /** Why tracing is off, when it is. */
  message: string;
  unknownSyscalls: string[];
  stats(): NativeStats;
  /** Replaces the open pre-filter (when the rules change); null: every open matters. */
  setPathFilter(patterns: NativePathPattern[] | null): void;
}

export interface StartTracerOptions extends NativeStartOptions {
  /** Records handed to the callback per batch, at most (bounds event-loop stalls). */
  maxBatchBytes?: number;
}

/**
 * Keeps V8's young generation small in the agent: records, events and YAML
 * nodes are short-lived, and semi-spaces grown to their default maximum
 * (16 MiB each) under a flood of events added ~12 MB to the agent's resident
 * memory with no measurable speed-up (docs/BENCHMARKS.md, "Tracing
 * overhead"). Set when this module loads, that is before the rules are
 * parsed, because a young generation does not shrink back once grown.
 */
if (process.env.DRAIOS_BENCH_V8_DEFAULTS !== '1') {
  setFlagsFromString('--max-semi-space-size=1');
  setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * The CPU for the native `cpu` option from `--tracer-cpu`: a number as is,
 * 'auto' the first CPU this process may run on (Cpus_allowed_list), undefined
 * (off) no pinning.
 */
export function resolveTracerCpu(v: number | 'auto' | undefined): number | undefined {
  if (v !== 'auto') return v;
  try {
    const m = /^Cpus_allowed_list:\s*(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Syscall names the tracer decodes, with their x86_64 numbers. */
export function knownSyscalls(): Record<string, number> {
  return loadAddon().syscalls();
}

export function startTracer(opts: StartTracerOptions, onBatch: (records: TraceRecord[]) => void): TracerHandle {
  const addon = loadAddon();
  const maxBytes = opts.maxBatchBytes ?? 1 << 20;
  let scheduled = false;
  // Drain a bounded amount per turn, then yield so that signal forwarding and
  // I/O keep running even under a flood of events.
  const pump = (): void => {
    scheduled = false;
    for (let turns = 0; turns < 8; turns++) {
      const buf = addon.drain(maxBytes);
      if (buf === null) return; // empty: the native side re-armed the notification
      onBatch(decodeRecords(buf));
    }
    scheduled = true;
    setImmediate(pump);
  };
  const res = addon.start(opts, () => {
    if (!scheduled) pump();
  });
  if (res.pid < 0) {
    throw Object.assign(new Error(`cannot start the workload: ${res.message}`), { errno: res.error });
  }
  return {
    pid: res.pid,
    traced: res.traced,
    message: res.message,
    unknownSyscalls: res.unknownSyscalls,
    stats: () => addon.stats(),
    setPathFilter: (patterns) => addon.setPathFilter(patterns),
  };
}
