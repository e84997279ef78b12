// The analysis process of bin/instrument. The native supervisor
// (native/supervisor.cc) runs the workload and the trace loop and starts this
// process beside it, in its own session; here the records become events,
// state, rule matches and alerts. Configuration comes from the environment
// only (SYSDIG_*; the secrets through a pipe from the supervisor), so the
// workload's argv is never interpreted. See docs/configuration.md and
// docs/supervisor.md.
import { hostname } from 'node:os';
import { createLogger, type AgentLogger } from '../logging/index.js';
import { loadConfig, supervisorEnv, type AgentConfig } from '../config/index.js';
import { loadRuleFilesReporting, defaultRulesPath, readRulesFile, type Ruleset } from '../rules/index.js';
import { startAlerting } from '../alerts/agent-alerting.js';
import { describeLoadErrors } from '../rules/load-errors.js';
import { fetchEcsMetadata, initialContainer } from '../state/container.js';
import type { ContainerInfo } from '../events/model.js';
import { readSecrets, resolveTracerCpu, type NativeStats, type SupervisorLink } from '../tracer/index.js';
import { createDetection, type Detection } from './detection.js';
import { runAnalysis } from './lifecycle.js';
import { AGENT_VERSION } from '../util/version.js';


function loadOptions(cfg: AgentConfig) {
  return { ruleMatching: cfg.ruleMatching, priorityMin: cfg.priorityMin, hostname: hostname() };
}

/** Loads the configured rule files, or the embedded default set. */
async function loadRules(cfg: AgentConfig, log: AgentLogger): Promise<Ruleset | undefined> {
  const paths = cfg.rulesFiles.length ? cfg.rulesFiles : [defaultRulesPath()].filter((p): p is string => !!p);
  if (paths.length === 0) {
    log.error('no rules configured and the embedded default rules are missing: detection is off');
    return undefined;
  }
  const files: { name: string; content: string }[] = [];
  for (const p of paths) {
    // Regular files under a size limit only (a FIFO or /dev/zero must not hang or exhaust start-up).
    const f = readRulesFile(p);
    if ('content' in f) files.push(f);
    else log.error({ file: p, err: f.error }, `cannot read rules file ${p}: skipped`);
  }
  if (files.length === 0) {
    log.error({ files: paths }, 'no rules file could be read: the workload runs without detection');
    return undefined;
  }
  const { ruleset, results } = await loadRuleFilesReporting(files, loadOptions(cfg));
  for (const r of results) {
    for (const e of r.errors) log.error({ file: r.name, code: e.code, context: e.context }, `rules: ${e.message}`);
    for (const w of r.warnings) log.debug({ file: r.name, code: w.code }, `rules: ${w.message}`);
  }
  if (!ruleset) log.error({ files: paths }, 'rule files failed to load: the workload runs without detection');
  else log.startup({ files: paths, rules: ruleset.rules.length, version: ruleset.version }, 'rules loaded');
  return ruleset;
}

/** The container identity as the orchestrator hello carries it; read at each (re)connect. */
function liveIdentity(c: ContainerInfo) {
  return {
    get id() {
      return c.id;
    },
    get name() {
      return c.name;
    },
    get image() {
      return c.image;
    },
    get hostname() {
      return hostname();
    },
  };
}

export async function main(): Promise<number> {
  const channel = supervisorEnv(process.env);
  if (!channel) {
    process.stderr.write('this is the analysis process of bin/instrument, started by its supervisor; run `instrument CMD [ARGS...]`\n');
    return 2;
  }
  const { config, errors, warnings } = loadConfig({ ...process.env, ...readSecrets(channel.secretsFd) });
  const logTarget = { ...(config.logHost ? { host: config.logHost } : {}), ...(config.logPort ? { port: config.logPort } : {}) };
  const log = createLogger({ level: config.logging.raw, name: 'instrument', ...logTarget });
  for (const e of errors) log.error(`configuration: ${e}`);
  for (const w of warnings) log.warn(`configuration: ${w}`);
  if (channel.start === 0) log.startup({ version: AGENT_VERSION }, 'serverless workload agent starting');

  const overrides = { id: config.containerId, name: config.containerName, image: config.containerImage, privileged: config.containerPrivileged };
  const container = initialContainer(overrides);
  const identityReady = fetchEcsMetadata(container, overrides, config.ecsMetadataUri, config.metadataTimeoutMs).then((err) => {
    if (err) log.warn(err);
    log.startup({ container: { id: container.id, name: container.name, image: container.image, task: container.task } }, 'container identity');
  });

  // Standalone, the log channel is where alerts go: they print at any
  // SYSDIG_LOGGING level except silent.
  const alertLog = createLogger({ level: config.logging.raw === 'silent' ? 'silent' : 'info', name: 'alerts', ...logTarget });

  // A broken rule set or a bug in setting up detection must not keep the
  // workload from starting: it then runs with detection off, and we say so.
  let ruleset: Ruleset | undefined;
  // The version the orchestrator gave the set in force (reported in hello,
  // compared with welcome.ruleSetVersion); the engine's own hash of the
  // files is in another format and would never match it.
  let pushedVersion: string | undefined;
  try {
    ruleset = await loadRules(config, log);
  } catch (err) {
    log.error({ err: String((err as Error)?.stack ?? err) }, 'rules failed to load: the workload runs without detection');
  }

  let detection: Detection | undefined;
  let tracerStats: (() => NativeStats) | undefined;
  let supervisor: SupervisorLink | undefined;
  const counters = (): Record<string, number> => {
    const t = tracerStats?.();
    return {
      ...(detection?.counters() ?? {}),
      ...(t ? { stops: t.stops, syscalls: t.syscalls, opensSkipped: t.opensSkipped, drops: t.dropped, queueDepth: t.ringUsed } : {}),
    };
  };

  // Rule sets pushed by the orchestrator: validated, then swapped between two
  // batches of events; a set that fails to load is rejected, the last good
  // one stays.
  const onRuleSet = async (set: { version: string; files: { name: string; content: string }[] }) => {
    try {
      const { ruleset: next, results } = await loadRuleFilesReporting(set.files, loadOptions(config));
      if (!next) {
        const errs = describeLoadErrors(results);
        log.error({ version: set.version, errors: errs }, 'pushed rule set rejected; the previous rules stay in force');
        return { ok: false, errors: errs };
      }
      // Swap last: if installing the set throws, the previous one stays in force.
      const degraded = detection ? detection.setRuleset(next).degraded : [];
      ruleset = next;
      pushedVersion = set.version;
      if (degraded.length) log.warn({ version: set.version, degraded }, 'rules need syscalls the running seccomp filter does not stop on: degraded until the workload restarts');
      log.info({ version: set.version, rules: next.rules.length }, 'rule set from the orchestrator in force');
      return { ok: true, errors: [], degraded, rules: next.rules.length };
    } catch (err) {
      return { ok: false, errors: [`internal error loading the rule set: ${(err as Error).message}`] };
    }
  };

  // The link starts once the identity is known (bounded), so the hello
  // carries it; alerts wait for the same moment in the detection path.
  const alerting = startAlerting({
    config,
    logger: log.child({ component: 'orchestrator-link' }),
    alertLogger: alertLog,
    agentVersion: AGENT_VERSION,
    container: liveIdentity(container),
    task: () => container.task,
    ruleSetVersion: () => pushedVersion ?? ruleset?.version,
    counters,
    onRuleSet,
    linkAfter: identityReady,
  });

  // A restarted analysis does not wait: the workload already runs.
  if (config.priority === 'security' && alerting.target && channel.start === 0) {
    // Hold the workload until the orchestrator's rules are in force (bounded).
    const ok = await alerting.waitForRuleSet(config.securityWaitMs);
    if (ok) log.startup({ version: pushedVersion ?? ruleset?.version }, 'SYSDIG_PRIORITY=security: orchestrator rules arrived; starting the workload');
    else log.error({ waitedMs: config.securityWaitMs }, 'SYSDIG_PRIORITY=security: no rules from the orchestrator in time; starting the workload with the local rules');
  }

  const capture = config.captureFile
    ? { path: config.captureFile, maxBytes: (config.captureSizeMb ?? 0) * 1024 * 1024, onError: (m: string) => log.error({ captureFile: config.captureFile }, m) }
    : undefined;
  detection = createDetection({
    ruleset,
    container,
    sinks: alerting.sinks,
    log,
    plan: { syscallsExtra: config.syscallsExtra, noOpenPrefilter: config.noOpenPrefilter, exactState: config.exactState, backpressure: config.priority === 'security', cpu: resolveTracerCpu(config.tracerCpu), ringBytes: config.ringBytes },
    identityReady: alerting.linkReady,
    alertFormat: { timeFormatIso8601: config.timeFormatIso8601, containerFields: config.alertContainerFields },
    capture,
  });
  await runAnalysis({
    channel,
    log,
    pipeline: detection,
    onStarted: (l) => {
      supervisor = l;
      tracerStats = l.stats;
      // A restart: the workload ran on without us; what it did is in /proc
      // (read before the first record of the ring is applied).
      if (channel.start > 0) detection!.state.rescan(process.ppid, process.pid, l.stats().workloadPid);
    },
  });
  await Promise.all([log.flush(500), alertLog.flush(500)]);
  supervisor?.done();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    // The supervisor logs our end and starts another analysis; the workload runs on.
    process.stderr.write(`instrument: analysis internal error: ${(err as Error)?.stack ?? err}\n`);
    process.exit(70);
  },
);
