// The tracer as the analysis process sees it: records from the supervisor's
// shared ring, in batches, and a control channel back (the plan, pre-filter
// updates, readiness, the end of the flush). The supervisor's trace loop never
// waits for us unless backpressure is on; when we fall behind, the ring
// fills and records are dropped and counted (stats().dropped, and a Lost
// record where the gap is).
import { readFileSync } from 'node:fs';
import { loadAddon, type NativePathPattern, type NativeStats } from './native.js';
export { PatternKind } from './native.js';
import { decodeRecords, type TraceRecord } from './records.js';
import { encodeFilter, encodePlan, fitted, type TracePlan } from './plan.js';

export { RecordKind, RecordFlag, ItemTag, NoticeCode, itemString, itemList, itemCreds, itemExeStat, itemFdFacts } from './records.js';
export type { TraceRecord, Creds, ExeStat, FdFacts } from './records.js';
export type { NativeStats, NativePathPattern } from './native.js';
export type { TracePlan } from './plan.js';
export { encodePlan } from './plan.js';

/** The analysis process's inheritance from the supervisor (read from DRAIOS_FDS and friends by src/config/supervisor.ts). */
export interface SupervisorChannel {
  ringFd: number;
  doorbellFd: number;
  controlFd: number;
  secretsFd: number;
  /** The supervisor waits for our plan before starting the workload. */
  needPlan: boolean;
  /** 0 for the first analysis process, n for the n-th restart. */
  start: number;
}

export interface SupervisorLink {
  stats(): NativeStats;
  /** Sends the plan; false when its pre-filter was too large for the channel and was left out (every open then stops). */
  sendPlan(plan: TracePlan): boolean;
  /** Replaces the open pre-filter (when the rules change); null: every open matters. Same return as sendPlan. */
  setPathFilter(patterns: NativePathPattern[] | null): boolean;
  /** The analysis is up: a later death is restarted at once (no backoff). */
  ready(): void;
  /** Everything is flushed: the supervisor may exit. */
  done(): void;
}

/**
 * The secrets the supervisor passed through a pipe (NAME=VALUE, NUL
 * separated): read to the end, never put into process.env (whose initial
 * block /proc/PID/environ shows).
 */
export function readSecrets(fd: number): Record<string, string> {
  const out: Record<string, string> = {};
  let text = '';
  try {
    text = readFileSync(fd, 'utf8');
  } catch {
    return out;
  }
  for (const kv of text.split('\0')) {
    const eq = kv.indexOf('=');
    if (eq > 0) out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/**
 * The CPU for the plan's `cpu` from `--tracer-cpu`: a number as is, 'auto'
 * the first CPU this process may run on (Cpus_allowed_list), undefined (off)
 * no pinning.
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
  return Object.fromEntries(Object.entries(loadAddon().syscalls()).map(([name, s]) => [name, s.nr]));
}

/**
 * Attaches to the supervisor's ring. Each batch is handed to onBatch and
 * released to the supervisor only afterwards, so a batch this process dies
 * in the middle of is read again by the next analysis process.
 */
export function connectSupervisor(ch: SupervisorChannel, onBatch: (records: TraceRecord[]) => void, maxBatchBytes = 1 << 20): SupervisorLink {
  const addon = loadAddon();
  let scheduled = false;
  // Drain a bounded amount per turn, then yield so that timers and I/O (the
  // orchestrator link, the log channel) keep running under a flood.
  const pump = (): void => {
    scheduled = false;
    for (let turns = 0; turns < 8; turns++) {
      const buf = addon.drain(maxBatchBytes);
      if (buf === null) return; // empty: the doorbell is armed
      onBatch(decodeRecords(buf));
      addon.commit();
    }
    scheduled = true;
    setImmediate(pump);
  };
  if (!addon.attach(ch.ringFd, ch.doorbellFd, ch.controlFd, () => {
    if (!scheduled) pump();
  })) {
    throw new Error(`fd ${ch.ringFd} is not the supervisor's ring`);
  }
  const numbers = knownSyscalls();
  // Records written before we attached (a restart, or a workload faster than our start-up).
  setImmediate(pump);
  return {
    stats: () => addon.stats(),
    sendPlan: (plan) => {
      const f = fitted((pathFilter) => encodePlan({ ...plan, pathFilter }, numbers), plan.pathFilter);
      addon.send(f.message);
      return !f.filterDropped;
    },
    setPathFilter: (patterns) => {
      const f = fitted(encodeFilter, patterns);
      addon.send(f.message);
      return !f.filterDropped;
    },
    ready: () => void addon.send('ready\n'),
    done: () => void addon.send('done\n'),
  };
}
