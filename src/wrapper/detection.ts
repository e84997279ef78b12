// The detection path, composed: tracer records -> events (with state) ->
// rules -> alerts -> sinks. Also the debug view: at trace level, one log line
// per event with the fields the rules saw.
import { hostname as osHostname } from 'node:os';
import { knownSyscalls, PatternKind, RecordKind, RecordFlag, type NativePathPattern, type TraceRecord, type SupervisorLink, type TracePlan } from '../tracer/index.js';
import { execEntryNeeded, openPathFilter } from '../rules/prefilter.js';
import { EventBuilder } from '../state/builder.js';
import { ProcessTable } from '../state/processes.js';
import { UserDb } from '../state/users.js';
import type { Ruleset } from '../rules/index.js';
import { alertsFor, withContainer, type AlertFormat } from '../alerts/format.js';
import { outputTime } from '../rules/formatter.js';
import { isoTime } from '../rules/fields.js';
import type { AlertSinks } from '../alerts/sinks.js';
import type { ContainerInfo } from '../events/model.js';
import type { FalcoAlert } from '../model/alert.js';
import type { AgentLogger } from '../logging/index.js';
import type { Pipeline } from './lifecycle.js';
import type { Capture, CaptureOptions } from '../capture/recorder.js';
import { syscallsWith } from '../model/syscalls.js';

/**
 * Syscalls that only keep the fd table (the `fdTable` role of the syscall
 * table): an event's fd comes from the kernel at the event's own stop
 * instead (native/capture.cc fd_items, FdFacts in the record), so they stop the
 * workload only when a rule evaluates them, or when a rule reads the whole
 * table (fd.types, proc.fdopencount), which facts about one fd cannot give.
 */
export const FD_TABLE_SYSCALLS = syscallsWith('fdTable');

/**
 * The cwd (`cwd` role): a relative path's record carries the kernel's cwd
 * (read at its stop) and an exec's record its new cwd, so chdir/fchdir stop
 * only for a rule that reads proc.cwd on other events, where it would
 * otherwise be the cwd of the last exec.
 */
export const CWD_SYSCALLS = syscallsWith('cwd');

/** Syscalls the state needs whatever the rules say (`state` role: credentials). */
export const STATE_SYSCALLS = syscallsWith('state');

/** Syscalls whose exit value nothing needs: one stop instead of two. */
const ENTRY_ONLY = new Set(syscallsWith('entryOnly'));

/** Syscalls the agent never stops on (known to the tracer for its tests and benchmarks). */
const TEST_ONLY = syscallsWith('testOnly');

/** Why state syscalls beyond STATE_SYSCALLS are in the set: the first rule that needs each group. */
export interface StateNeeds {
  /** A rule reads the whole fd table: every FD_TABLE_SYSCALLS stops (the state is exact, not lazy). */
  fdTable?: { rule: string; field: string };
  cwd?: { rule: string };
}

const EXEC_TYPES = new Set(syscallsWith('exec'));

export function stateNeeds(rs: Ruleset | undefined, exact = false): StateNeeds {
  const out: StateNeeds = {};
  // A capture, or the A/B switch of bench/: the seccomp set as it was before the fd state was lazy
  if (exact) {
    out.fdTable = { rule: '(exact state: capture or DRAIOS_BENCH_EXACT_STATE)', field: 'fd.types' };
    out.cwd = { rule: '(exact state: capture or DRAIOS_BENCH_EXACT_STATE)' };
  }
  for (const r of rs?.rules ?? []) {
    const whole = r.fields.find((f) => f.startsWith('fd.types') || f === 'proc.fdopencount');
    if (whole && !out.fdTable) out.fdTable = { rule: r.name, field: whole };
    // an exec's record carries the cwd already (read at the exec event)
    const beyondExec = r.evttypes === 'all' || [...r.evttypes].some((t) => !EXEC_TYPES.has(t));
    if (!out.cwd && beyondExec && r.fields.includes('proc.cwd')) out.cwd = { rule: r.name };
  }
  return out;
}

/** The seccomp set for a rule set: its event types (that the tracer knows) plus what the state needs. */
export function syscallSet(rs: Ruleset | undefined, extra: string[] = [], exact = false): { name: string; exit: boolean }[] {
  const known = knownSyscalls();
  const names = new Set<string>(STATE_SYSCALLS);
  const needs = stateNeeds(rs, exact);
  if (needs.fdTable) for (const n of FD_TABLE_SYSCALLS) names.add(n);
  if (needs.cwd) for (const n of CWD_SYSCALLS) names.add(n);
  const types = rs?.eventTypes() ?? 'all';
  if (types === 'all') for (const n of Object.keys(known)) names.add(n);
  else for (const t of types) if (t in known) names.add(t);
  for (const e of extra) if (e in known) names.add(e);
  for (const n of TEST_ONLY) names.delete(n);
  // A successful exec comes whole with its exec event; without a rule that
  // may match a failed one, no entry stop (native on_exec makes the record).
  if (types !== 'all' && !extra.some((e) => EXEC_TYPES.has(e)) && rs && !execEntryNeeded(rs.rules).needed) {
    for (const n of EXEC_TYPES) names.delete(n);
  }
  return [...names].sort().map((name) => ({ name, exit: !ENTRY_ONLY.has(name) }));
}

/** Whether the fd table is lazy under this set: some fd-table syscall does not stop. */
export function lazyFdTable(set: { name: string }[]): boolean {
  const names = new Set(set.map((s) => s.name));
  return FD_TABLE_SYSCALLS.some((n) => !names.has(n));
}

/** For the log: which rule made the tracer stop on each fd-table or cwd syscall. */
function stateStopsBy(rs: Ruleset | undefined, needs: StateNeeds): Record<string, string> {
  const by: Record<string, string> = {};
  if (needs.fdTable) for (const n of FD_TABLE_SYSCALLS) by[n] = `rule "${needs.fdTable.rule}" reads ${needs.fdTable.field}`;
  if (needs.cwd) for (const n of CWD_SYSCALLS) by[n] ??= `rule "${needs.cwd.rule}" reads proc.cwd`;
  for (const r of rs?.rules ?? []) {
    for (const n of [...FD_TABLE_SYSCALLS, ...CWD_SYSCALLS]) {
      if (by[n] === undefined && (r.evttypes === 'all' || r.evttypes.has(n))) by[n] = `rule "${r.name}" evaluates ${n}`;
    }
  }
  return by;
}

export interface DetectionOptions {
  ruleset: Ruleset | undefined;
  container: ContainerInfo;
  sinks: AlertSinks;
  log: AgentLogger;
  /** The tracer's plan options that come from the configuration. */
  plan: PlanOptions;
  hostname?: string;
  /**
   * Resolves when the container identity is known (ECS metadata, bounded by
   * its timeout). Records wait for it, so that alerts carry the right
   * container; the workload does not (it started already).
   */
  identityReady?: Promise<unknown>;
  /** Records held while waiting for the identity, at most (then evaluated as they are). */
  maxHeldRecords?: number;
  /** Alert formatting: Falco's time_format_iso_8601, and whether every alert carries the container fields (default true). */
  alertFormat?: AlertFormat;
  /** --capture-file: every record and its event also go to a scap capture (src/capture). */
  capture?: Pick<CaptureOptions, 'path' | 'maxBytes' | 'onError'>;
}

export interface Detection extends Pipeline {
  /** Swaps the rule set atomically (between two batches); the filter cannot widen. */
  setRuleset(rs: Ruleset): { degraded: string[] };
  ruleset(): Ruleset | undefined;
  readonly state: ProcessTable;
}

/**
 * The open pre-filter for the native side (src/rules/prefilter.ts), or null
 * (every open stops twice): with no rules nothing can match; at trace level
 * the debug view shows every event, and a capture records every event;
 * DRAIOS_BENCH_NO_PREFILTER=1 is the A/B switch of bench/.
 */
function nativePathFilter(rs: Ruleset | undefined, everyOpen: boolean): { patterns: NativePathPattern[] | null; disabledBy?: { rule: string; evtType: string } } {
  if (everyOpen) return { patterns: null };
  if (rs === undefined) return { patterns: [] };
  const f = openPathFilter(rs.rules);
  return { patterns: f.patterns?.map((p) => ({ kind: PatternKind[p.kind], value: p.value, ...(p.write ? { write: true } : {}) })) ?? null, disabledBy: f.disabledBy };
}

/** Options of the tracer's plan that come from the configuration, not the rules. */
export interface PlanOptions {
  syscallsExtra?: string[];
  /** The open pre-filter off (bench/'s A/B switch, DRAIOS_BENCH_NO_PREFILTER). */
  noOpenPrefilter?: boolean;
  /** The exact fd table (every fd-table syscall stops): a capture, or bench/'s A/B switch DRAIOS_BENCH_EXACT_STATE. */
  exactState?: boolean;
  /** SYSDIG_PRIORITY=security: a full ring makes the workload wait. */
  backpressure?: boolean;
  cpu?: number;
  ringBytes?: number;
}

/** What the supervisor's tracer must do for a rule set (also the build-time plan of the default rules). */
export function tracePlan(rs: Ruleset | undefined, o: PlanOptions, traceView: boolean): TracePlan {
  return planWithFilter(rs, o, traceView).plan;
}

/** The plan and the pre-filter it carries (with why it is off): the filter is computed once, at start-up. */
function planWithFilter(rs: Ruleset | undefined, o: PlanOptions, traceView: boolean): { plan: TracePlan; prefilter: ReturnType<typeof nativePathFilter> } {
  const prefilter = nativePathFilter(rs, traceView || o.noOpenPrefilter === true);
  const plan: TracePlan = {
    syscalls: syscallSet(rs, o.syscallsExtra, o.exactState === true),
    readEnv: true,
    backpressure: o.backpressure ?? false,
    cpu: o.cpu,
    trace: true,
    ringBytes: o.ringBytes,
    pathFilter: prefilter.patterns,
  };
  return { plan, prefilter };
}

/**
 * Falco's alert for dropped events ("syscall_event_drops" with the alert
 * action): records the ring had no room for cannot be evaluated, and an
 * attacker who floods syscalls to hide one must not go unseen. At most one a
 * second, with the drops since the last one.
 */
function dropAlert(drops: number, events: number, ts: bigint, hostname: string): FalcoAlert {
  const message = `Falco internal: syscall event drop. ${drops} system calls dropped in last second.`;
  return {
    hostname,
    output: `${outputTime(ts)}: Critical ${message}`,
    priority: 'Critical',
    rule: 'Falco internal: syscall event drop',
    source: 'syscall',
    tags: [],
    time: isoTime(ts),
    output_fields: { n_drops: drops, n_evts: events },
  };
}

export function createDetection(o: DetectionOptions): Detection {
  const names = new Map<number, string>(Object.entries(knownSyscalls()).map(([n, nr]) => [nr, n]));
  const users = new UserDb();
  const state = new ProcessTable(o.container, users);
  // loaded only when asked for: the capture code stays out of every other start-up
  let capture: Capture | undefined;
  const captureReady = o.capture
    ? import('../capture/recorder.js').then(
        (m) => (capture = m.createCapture({ ...o.capture!, state, users, container: o.container, hostname: o.hostname })),
        (err) => o.capture!.onError(`capture is off: ${(err as Error).message}`),
      )
    : undefined;
  const host = o.hostname ?? osHostname();
  let rs = o.ruleset;
  const traceView = o.log.isLevelEnabled('trace');
  // a capture records every open: the pre-filter would leave most of them out;
  // and it is read back against the state its events rebuild: the exact fd table
  const everyOpen = traceView || o.capture !== undefined || o.plan.noOpenPrefilter === true;
  const planOptions = { ...o.plan, exactState: o.plan.exactState === true || o.capture !== undefined };
  const { plan, prefilter } = planWithFilter(rs, planOptions, everyOpen);
  const lazy = lazyFdTable(plan.syscalls);
  const builder = new EventBuilder(state, names, lazy);
  const filterSet = new Set(plan.syscalls.map((s) => s.name));
  let tracer: SupervisorLink | undefined;
  const describeFilter = (f: typeof prefilter) =>
    f.patterns ? { patterns: f.patterns.length } : { off: f.disabledBy ? `rule "${f.disabledBy.rule}" may match any ${f.disabledBy.evtType}` : 'debug view, capture or A/B switch' };
  const c = { events: 0, alerts: 0, foreign: 0, lost: 0, ruleErrors: 0 };
  let unreportedDrops = 0;
  // The supervisor's drop counter when we attached: drops past it that no
  // Lost record told (the ring had no room left for one, at the very end)
  // are reported at close.
  let droppedBase = 0;
  let lastDropAlert = 0;
  const reportDrops = (ts: bigint): void => {
    const now = Date.now();
    if (unreportedDrops === 0 || now - lastDropAlert < 1000) return;
    lastDropAlert = now;
    c.alerts++;
    const alert = dropAlert(unreportedDrops, c.events, ts, host);
    o.sinks.emit(o.alertFormat?.containerFields === false ? alert : withContainer(alert, o.container));
    unreportedDrops = 0;
  };

  let held: TraceRecord[][] | undefined = o.identityReady || captureReady ? [] : undefined;
  let heldCount = 0;
  const maxHeld = o.maxHeldRecords ?? 200_000;
  const release = (): void => {
    const batches = held;
    held = undefined;
    if (batches) for (const b of batches) handle(b);
  };
  const ready = Promise.all([o.identityReady, captureReady]).then(release, release);

  const onRecords = (records: TraceRecord[]): void => {
    if (held !== undefined) {
      held.push(records);
      heldCount += records.length;
      if (heldCount > maxHeld) release();
      return;
    }
    handle(records);
  };

  const handle = (records: TraceRecord[]): void => {
    const ruleset = rs;
    for (const rec of records) {
      if (rec.kind === RecordKind.Lost) {
        c.lost += rec.args[0]!;
        unreportedDrops += rec.args[0]!;
      }
      if (rec.kind === RecordKind.Syscall && rec.flags & RecordFlag.Foreign) c.foreign++;
      const evt = builder.apply(rec);
      capture?.record(rec, evt);
      if (evt === undefined) {
        if (traceView && rec.kind !== RecordKind.Syscall) {
          o.log.trace({ record: rec.kind, pid: rec.pid, tid: rec.tid, args: rec.args.slice(0, 2) }, 'tracer record');
        }
        continue;
      }
      c.events++;
      if (ruleset === undefined) continue;
      const matches = ruleset.evaluate(evt);
      if (traceView) {
        o.log.trace({ evt: evt.num, type: evt.type, tid: evt.tid, res: evt.res, fields: ruleset.extract(evt), matched: matches.map((r) => r.name) }, 'event');
      }
      for (const alert of alertsFor(matches, evt, host, o.container, o.alertFormat)) {
        c.alerts++;
        o.sinks.emit(alert);
      }
    }
    if (unreportedDrops) reportDrops(records[records.length - 1]!.ts);
  };

  return {
    state,
    plan,
    attach(link) {
      tracer = link;
      droppedBase = link.stats().dropped;
      o.log.info({ openPrefilter: describeFilter(prefilter) }, 'open pre-filter');
      o.log.info({ lazyFdTable: lazy, syscalls: plan.syscalls.length, stateStopsBy: stateStopsBy(rs, stateNeeds(rs, planOptions.exactState)) }, 'syscall set');
    },
    onRecords,
    ruleset: () => rs,
    setRuleset(next) {
      // The filter cannot widen once the workload runs: a rule whose event
      // types the filter does not stop on cannot fire; report it as degraded.
      const known = knownSyscalls();
      const degraded: string[] = [];
      for (const r of next.rules) {
        if (r.evttypes === 'all') continue;
        const missing = [...r.evttypes].filter((t) => t in known && !filterSet.has(t));
        if (missing.length) degraded.push(`${r.name} (${missing.join(', ')})`);
      }
      // A rule over the whole fd table needs the fd syscalls the workload
      // was started without: its fields see only the fds events named.
      const needs = stateNeeds(next);
      if (lazy && needs.fdTable && !degraded.some((d) => d.startsWith(`${needs.fdTable!.rule} (`))) {
        degraded.push(`${needs.fdTable.rule} (${needs.fdTable.field}: fd table not kept)`);
      }
      // Everything that can fail is computed before the swap, so a set that
      // throws here is never the one in force.
      const pf = nativePathFilter(next, everyOpen);
      rs = next;
      if (tracer && !tracer.setPathFilter(pf.patterns)) o.log.warn({ patterns: pf.patterns?.length }, 'open pre-filter too large for the supervisor channel: every open stops');
      o.log.info({ openPrefilter: describeFilter(pf) }, 'open pre-filter for the new rules');
      return { degraded };
    },
    counters: () => ({ ...c, ruleErrors: rs?.counters.errors ?? 0, ...o.sinks.counterMap(), ...(capture?.counters() ?? {}) }),
    close: async (timeoutMs) => {
      await Promise.race([ready, new Promise((r) => setTimeout(r, timeoutMs / 2))]);
      release();
      const untold = tracer ? tracer.stats().dropped - droppedBase - c.lost : 0;
      if (untold > 0) {
        c.lost += untold;
        unreportedDrops += untold;
      }
      lastDropAlert = 0;
      if (unreportedDrops) reportDrops(BigInt(Date.now()) * 1_000_000n);
      await Promise.all([o.sinks.close(timeoutMs), capture?.close(timeoutMs)]);
    },
  };
}
