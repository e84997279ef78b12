// The alerts stage as bin/instrument uses it, wired from the agent's
// configuration: local sinks (log, --alerts-file) plus, when an orchestrator
// or collector is configured, the orchestrator link, behind one AlertSinks
// fan-out. One call at start, `emit` per alert, `close` at exit.

import type { FalcoAlert } from '../model/alert.js';
import type { LoggerLike } from './alert-queue.js';
import { createOrchestratorLink, type OrchestratorLink, type OrchestratorLinkOptions, type RuleSetLoadResult, type RuleSetPush } from './orchestrator-link.js';
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
  logger: LoggerLike;
  agentVersion: string;
  container: ContainerIdentity;
  task?: TaskIdentity;
  /** Version of the rule set in force (undefined: embedded/local rules). */
  ruleSetVersion: () => string | undefined;
  /** The agent's counters for heartbeats (events, stops, drops, ...). Alert sink counters are added. */
  counters: () => Record<string, number>;
  /** Loads a pushed set with the rules engine and swaps it in atomically; must not throw. */
  onRuleSet: (set: RuleSetPush) => Promise<RuleSetLoadResult>;
  /** Log every alert as a log line too (default true). */
  logAlerts?: boolean;
  queueMax?: number;
}

export interface Alerting {
  /** Fan-out to every sink. Never blocks, never throws. */
  emit(alert: FalcoAlert): void;
  /** For SYSDIG_PRIORITY=security: true when the orchestrator's rules are in force; false after timeoutMs or without an orchestrator. */
  waitForRuleSet(timeoutMs: number): Promise<boolean>;
  /** Per-sink counters plus the link's stats. */
  stats(): { sinks: ReturnType<AlertSinks['stats']>; link: ReturnType<OrchestratorLink['stats']> | undefined };
  /** Flushes the sinks (the link waits for acks) within timeoutMs. */
  close(timeoutMs: number): Promise<void>;
  readonly link: OrchestratorLink | undefined;
}

/** The orchestrator link for a resolved target (address, TLS, access key). */
export function linkForTarget(
  target: OrchestratorTarget,
  rest: Omit<OrchestratorLinkOptions, 'host' | 'port' | 'tls' | 'ca' | 'checkCertificate' | 'accessKey' | 'url'>,
): OrchestratorLink {
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
  if (o.logAlerts !== false) sinks.add(createLogSink(o.logger));
  if (o.config.alertsFile) sinks.add(createFileSink({ path: o.config.alertsFile, logger: o.logger }));
  const target = targetFromConfig(o.config);
  let link: OrchestratorLink | undefined;
  if (target) {
    link = linkForTarget(target, {
      hello: { agentVersion: o.agentVersion, container: o.container, ...(o.task ? { task: o.task } : {}) },
      ruleSetVersion: o.ruleSetVersion,
      counters: () => ({ ...o.counters(), ...sinks.counterMap() }),
      onRuleSet: o.onRuleSet,
      queueMax: o.queueMax,
      spoolDir: o.config.spoolDir,
      logger: o.logger,
    });
    sinks.add(linkSink(link));
  }
  return {
    link,
    emit: (alert) => sinks.emit(alert),
    waitForRuleSet: (timeoutMs) => (link ? link.waitForRuleSet(timeoutMs) : Promise.resolve(false)),
    stats: () => ({ sinks: sinks.stats(), link: link?.stats() }),
    close: (timeoutMs) => sinks.close(timeoutMs),
  };
}
