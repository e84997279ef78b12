// The wrapper's lifecycle, as a container's PID 1: start the workload under
// the tracer, forward signals, hand the tracer's records down the pipeline
// (events -> state -> rules -> alerts -> sinks), and exit with the workload's
// status once the pipeline has flushed (bounded).
import { startTracer, RecordKind, RecordFlag, NoticeCode, itemString, type NativePathPattern, type TraceRecord, type TracerHandle } from '../tracer/index.js';
import { forwardSignals, exitCodeOf } from './signals.js';
import type { AgentLogger } from '../logging/index.js';

export interface Pipeline {
  /** Syscalls the seccomp filter must stop on; exit: the result is needed. */
  syscalls: { name: string; exit: boolean }[];
  /** Whether the state needs /proc/PID/environ at exec (proc.env). */
  readEnv: boolean;
  /** The open pre-filter at start (native/prefilter.h); null/absent: every open matters. */
  pathFilter?: NativePathPattern[] | null;
  /** Given the running tracer (to swap the pre-filter when the rules change). */
  attach?(h: TracerHandle): void;
  onRecords(records: TraceRecord[]): void;
  /** Counters for heartbeats and the final log line. */
  counters(): Record<string, number>;
  /** Flush alerts; must settle within timeoutMs. */
  close(timeoutMs: number): Promise<void>;
}

export interface LifecycleOptions {
  argv: string[];
  /** The workload's environment (K=V), secrets removed. */
  env: string[];
  log: AgentLogger;
  pipeline: Pipeline;
  ringBytes?: number;
  trace?: boolean;
  cpu?: number;
  /** How long to wait for alerts to flush after the workload exited. */
  flushTimeoutMs?: number;
  /** Called once the workload runs (for counters). */
  onStarted?: (h: TracerHandle) => void;
}

/** Runs the workload to completion and returns the exit code to exit with. */
export async function runWorkload(o: LifecycleOptions): Promise<number> {
  const { log, pipeline } = o;
  let mainStatus: number | undefined;
  let execError: string | undefined;
  let resolveExit!: () => void;
  const exited = new Promise<void>((r) => (resolveExit = r));
  let lost = 0;

  const onBatch = (records: TraceRecord[]): void => {
    // Lifecycle facts first: they decide the exit; the pipeline sees everything.
    for (const r of records) {
      if (r.kind === RecordKind.Exit && r.flags & RecordFlag.Main) {
        mainStatus = r.args[0]! >>> 0;
      } else if (r.kind === RecordKind.Notice) {
        const code = r.args[0];
        const text = itemString(r, 26) ?? '';
        if (code === NoticeCode.ExecFailed) execError = text;
        else log.warn({ component: 'tracer', notice: code }, text);
      } else if (r.kind === RecordKind.Lost) {
        lost += r.args[0]!;
      }
    }
    try {
      pipeline.onRecords(records);
    } catch (err) {
      // A bug downstream must never take the workload down.
      log.error({ err: String((err as Error)?.stack ?? err) }, 'event pipeline failed on a batch');
    }
    if (mainStatus !== undefined) resolveExit();
  };

  const forwarder = forwardSignals((sig) => log.debug({ signal: sig }, 'signal forwarded'));
  let handle;
  try {
    handle = startTracer(
      {
        argv: o.argv,
        env: o.env,
        syscalls: pipeline.syscalls,
        readEnv: pipeline.readEnv,
        pathFilter: pipeline.pathFilter ?? null,
        trace: o.trace ?? true,
        ringBytes: o.ringBytes,
        cpu: o.cpu,
      },
      onBatch,
    );
  } catch (err) {
    process.stderr.write(`instrument: ${(err as Error).message}\n`);
    forwarder.stop();
    return 126;
  }
  o.onStarted?.(handle);
  pipeline.attach?.(handle);
  forwarder.setTarget(handle.pid);
  if (handle.unknownSyscalls.length) log.warn({ syscalls: handle.unknownSyscalls }, 'syscalls the tracer cannot decode are not traced');
  if (!handle.traced) {
    // One warning that must be seen even at the minimal default log level.
    const warn = log.isLevelEnabled('warn') ? log.warn.bind(log) : log.startup.bind(log);
    warn({ component: 'tracer', reason: handle.message }, `workload runs UNTRACED: ${handle.message}`);
  } else {
    log.startup({ pid: handle.pid, syscalls: pipeline.syscalls.length }, 'workload started under the tracer');
  }

  await exited;
  const code = exitCodeOf(mainStatus!);
  if (execError !== undefined) {
    // the one line a user sees when the entrypoint is wrong
    process.stderr.write(`instrument: ${o.argv[0]}: ${execError}\n`);
    log.error({ command: o.argv[0], exitCode: code }, `cannot execute ${o.argv[0]}: ${execError}`);
  }
  // Forwarding stays installed until we exit: a late SIGTERM must not turn
  // the workload's exit code into ours.
  await pipeline.close(o.flushTimeoutMs ?? 3000).catch(() => undefined);
  const stats = handle.stats();
  log.info(
    { exitCode: code, ...pipeline.counters(), stops: stats.stops, syscalls: stats.syscalls, opensSkipped: stats.opensSkipped, dropped: stats.dropped + lost },
    'workload exited',
  );
  if (stats.dropped) log.warn({ dropped: stats.dropped }, 'tracer records dropped (ring full): events were lost');
  return code;
}
