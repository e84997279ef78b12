// The analysis process's lifecycle. The supervisor (native/supervisor.cc)
// owns the workload, the ptrace loop and PID 1's duties; this process
// attaches to its ring, hands the records down the pipeline (events -> state
// -> rules -> alerts -> sinks), and once the workload has exited and the
// pipeline has flushed (bounded), tells the supervisor it may exit.
import { connectSupervisor, RecordKind, RecordFlag, NoticeCode, ItemTag, itemString, type SupervisorChannel, type SupervisorLink, type TracePlan, type TraceRecord } from '../tracer/index.js';
import { exitCodeOf } from './signals.js';
import type { AgentLogger } from '../logging/index.js';

export interface Pipeline {
  /** What the supervisor's tracer must do for the rules in force. */
  plan: TracePlan;
  /** Given the supervisor link (to swap the pre-filter when the rules change). */
  attach?(link: SupervisorLink): void;
  onRecords(records: TraceRecord[]): void;
  /** Counters for heartbeats and the final log line. */
  counters(): Record<string, number>;
  /** Flush alerts; must settle within timeoutMs. */
  close(timeoutMs: number): Promise<void>;
}

export interface LifecycleOptions {
  channel: SupervisorChannel;
  log: AgentLogger;
  pipeline: Pipeline;
  /** How long to wait for alerts to flush after the workload exited. */
  flushTimeoutMs?: number;
  /** Called once attached (for counters). */
  onStarted?: (link: SupervisorLink) => void;
}

/** Runs until the workload has exited and its events are flushed; returns its exit code. */
export async function runAnalysis(o: LifecycleOptions): Promise<number> {
  const { log, pipeline } = o;
  let mainStatus: number | undefined;
  let execError: string | undefined;
  let resolveExit!: () => void;
  const exited = new Promise<void>((r) => (resolveExit = r));
  // A notice must be seen even at the minimal default log level.
  const visible = log.isLevelEnabled('warn') ? log.warn.bind(log) : log.startup.bind(log);

  const onBatch = (records: TraceRecord[]): void => {
    // Lifecycle facts first: they decide the end; the pipeline sees everything.
    for (const r of records) {
      if (r.kind === RecordKind.Exit && r.flags & RecordFlag.Main) {
        mainStatus = r.args[0]! >>> 0;
      } else if (r.kind === RecordKind.Notice) {
        const code = r.args[0];
        const text = itemString(r, ItemTag.Text) ?? '';
        if (code === NoticeCode.ExecFailed) execError = text;
        else if (code === NoticeCode.Untraced) visible({ component: 'tracer', reason: text }, `workload runs UNTRACED: ${text}`);
        else visible({ component: code === NoticeCode.Analysis ? 'supervisor' : 'tracer', notice: code }, text);
      }
    }
    try {
      pipeline.onRecords(records);
    } catch (err) {
      // A bug downstream must never take the analysis down with the batch.
      log.error({ err: String((err as Error)?.stack ?? err) }, 'event pipeline failed on a batch');
    }
    if (mainStatus !== undefined) resolveExit();
  };

  const link = connectSupervisor(o.channel, onBatch);
  o.onStarted?.(link);
  pipeline.attach?.(link);
  if (o.channel.needPlan && !link.sendPlan(pipeline.plan)) {
    log.warn({ patterns: pipeline.plan.pathFilter?.length }, 'open pre-filter too large for the supervisor channel: every open stops');
  }
  link.ready();
  if (o.channel.start > 0) log.startup({ start: o.channel.start }, 'analysis process restarted: state rebuilt from /proc, reading on from the ring');
  else log.startup({ pid: link.stats().workloadPid, syscalls: pipeline.plan.syscalls.length }, 'workload started under the tracer');

  // A restart after the previous analysis had already read the main exit:
  // the supervisor's flag says so once the ring is read to its end.
  const poll = setInterval(() => {
    const s = link.stats();
    if (s.workloadExited && s.ringUsed === 0) {
      mainStatus ??= s.workloadStatus >>> 0;
      resolveExit();
    }
  }, 100);
  poll.unref();

  await exited;
  clearInterval(poll);
  const code = exitCodeOf(mainStatus!);
  if (execError !== undefined) log.error({ exitCode: code }, `cannot execute the workload: ${execError}`);
  await pipeline.close(o.flushTimeoutMs ?? 3000).catch(() => undefined);
  const stats = link.stats();
  log.info(
    {
      exitCode: code,
      ...pipeline.counters(),
      stops: stats.stops,
      syscalls: stats.syscalls,
      opensSkipped: stats.opensSkipped,
      dropped: stats.dropped,
      backpressureMs: stats.backpressureMs,
      analysisStarts: stats.analysisStarts,
    },
    'workload exited',
  );
  if (stats.dropped) visible({ dropped: stats.dropped }, 'tracer records dropped (ring full): events were lost');
  return code;
}
