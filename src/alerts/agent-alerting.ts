// The alerts stage as the agent runs it (src/wrapper/main.ts), wired from
// its configuration: the log sink (alerts as log lines), the --alerts-file
// sink and, when an orchestrator or collector is configured, the
// orchestrator link, behind one AlertSinks fan-out. The link starts when
// `linkAfter` resolves (the container identity is known, so the hello
// carries it), and its module (ws, Node's TLS and HTTP stack: ~20 ms of
// start-up) is loaded only then. One call at start, `emit` per alert,
// `close` at exit.
import type { FalcoAlert } from '../model/alert.js';
import type { LoggerLike } from './alert-queue.js';
import type { OrchestratorLink, OrchestratorLinkOptions, RuleSetLoadResult, RuleSetPush } from './orchestrator-link.js';
import { targetFromConfig, type OrchestratorTarget, type TargetConfigFields } from './orchestrator-target.js';
import type { ContainerIdentity, TaskIdentity } from './protocol.js';
import { AlertSinks, createFileSink, createLogSink, linkSink } from './sinks.js';

/** The fields of src/config's AgentConfig this stage reads. */
export interface AlertingConfigFields extends TargetConfigFields {
  alertsFile: string | undefined;
  spoolDir: string | undefined;
}

export interface AlertingOptions {
  config: AlertingConfigFields;
  /** The agent's own log (sink and link problems). */
  logger: LoggerLike;
  /** Where alerts are logged as lines (the log sink); absent: not logged. */
  alertLogger?: LoggerLike;
  agentVersion: string;
  container: ContainerIdentity;
  /** The ECS task, when known by the time the link starts. */
  task?: () => TaskIdentity | undefined;
  /** Version of the rule set in force (undefined: embedded/local rules). */
  ruleSetVersion: () => string | undefined;
  /** The agent's counters for heartbeats (events, stops, drops, ...). Alert sink counters are added. */
  counters: () => Record<string, number>;
  /** Loads a pushed set with the rules engine and swaps it in atomically; must not throw. */
  onRuleSet: (set: RuleSetPush) => Promise<RuleSetLoadResult>;
  /** The link starts once this resolves (default: at once). */
  linkAfter?: Promise<unknown>;
  queueMax?: number;
}

export interface Alerting {
  readonly sinks: AlertSinks;
  /** Fan-out to every sink. Never blocks, never throws. */
  emit(alert: FalcoAlert): void;
  /** Resolves when the link has started (or there is none, or it failed to). */
  readonly linkReady: Promise<void>;
  /** For SYSDIG_PRIORITY=security: true when the orchestrator's rules are in force; false after timeoutMs or without an orchestrator. */
  waitForRuleSet(timeoutMs: number): Promise<boolean>;
  /** Per-sink counters plus the link's stats. */
  stats(): { sinks: ReturnType<AlertSinks['stats']>; link: ReturnType<OrchestratorLink['stats']> | undefined };
  /** Flushes the sinks (the link waits for acks) within timeoutMs. */
  close(timeoutMs: number): Promise<void>;
  readonly link: OrchestratorLink | undefined;
  readonly target: OrchestratorTarget | undefined;
}

/** The orchestrator link for a resolved target (address, TLS, access key). */
export async function linkForTarget(
  target: OrchestratorTarget,
  rest: Omit<OrchestratorLinkOptions, 'host' | 'port' | 'tls' | 'ca' | 'checkCertificate' | 'accessKey' | 'url'>,
): Promise<OrchestratorLink> {
  const { createOrchestratorLink } = await import('./orchestrator-link.js');
  return createOrchestratorLink({
    ...rest,
    host: target.host,
    port: target.port,
    tls: target.tls,
    ca: target.ca,
    checkCertificate: target.checkCertificate,
    accessKey: target.accessKey,
  });
}

export function startAlerting(o: AlertingOptions): Alerting {
  const sinks = new AlertSinks();
  if (o.alertLogger) sinks.add(createLogSink(o.alertLogger));
  if (o.config.alertsFile) sinks.add(createFileSink({ path: o.config.alertsFile, logger: o.logger }));
  const target = targetFromConfig(o.config);
  let link: OrchestratorLink | undefined;
  const linkReady = (o.linkAfter ?? Promise.resolve()).then(async () => {
    if (!target) return;
    try {
      const task = o.task?.();
      link = await linkForTarget(target, {
        hello: { agentVersion: o.agentVersion, container: o.container, ...(task ? { task } : {}) },
        ruleSetVersion: o.ruleSetVersion,
        counters: () => ({ ...o.counters(), ...sinks.counterMap() }),
        onRuleSet: o.onRuleSet,
        queueMax: o.queueMax,
        spoolDir: o.config.spoolDir,
        logger: o.logger,
      });
      sinks.add(linkSink(link));
    } catch (err) {
      o.logger.error({ err: (err as Error).message }, 'orchestrator link failed to start: alerts stay local');
    }
  });
  return {
    sinks,
    target,
    get link() {
      return link;
    },
    linkReady,
    emit: (alert) => sinks.emit(alert),
    waitForRuleSet: async (timeoutMs) => {
      await linkReady;
      return link ? link.waitForRuleSet(timeoutMs) : false;
    },
    stats: () => ({ sinks: sinks.stats(), link: link?.stats() }),
    close: (timeoutMs) => sinks.close(timeoutMs),
  };
}
