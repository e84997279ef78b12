// bin/instrument: the container entrypoint wrapper.
//   instrument CMD [ARGS...]
// Runs CMD under the tracer with the configured (or embedded default) Falco
// rules. Configuration comes from the environment only (SYSDIG_*), so the
// workload's argv is never interpreted. See docs/configuration.md.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createLogger, type AgentLogger } from '../logging/index.js';
import { loadConfig, workloadEnv, type AgentConfig } from '../config/index.js';
import { loadRuleFiles, defaultRulesPath, type Ruleset } from '../rules/index.js';
import { AlertSinks, createFileSink, createLogSink } from '../alerts/sinks.js';
import { fetchEcsMetadata, initialContainer } from '../state/container.js';
import { createDetection } from './detection.js';
import { runWorkload } from './lifecycle.js';

const USAGE = `usage: instrument CMD [ARGS...]
Runs CMD (looked up in PATH) under the Sysdig serverless workload agent.
Configuration: SYSDIG_* environment variables (see docs/configuration.md).
`;

/** Loads the configured rule files, or the embedded default set. */
function loadRules(cfg: AgentConfig, log: AgentLogger): Ruleset | undefined {
  const paths = cfg.rulesFiles.length ? cfg.rulesFiles : [defaultRulesPath()].filter((p): p is string => !!p);
  if (paths.length === 0) {
    log.error('no rules configured and the embedded default rules are missing: detection is off');
    return undefined;
  }
  const files: { name: string; content: string }[] = [];
  for (const p of paths) {
    try {
      files.push({ name: p, content: readFileSync(p, 'utf8') });
    } catch (err) {
      log.error({ file: p, err: (err as Error).message }, `cannot read rules file ${p}: skipped`);
    }
  }
  const { ruleset, results } = loadRuleFiles(files, { ruleMatching: cfg.ruleMatching, priorityMin: cfg.priorityMin, hostname: hostname() });
  for (const r of results) {
    for (const e of r.errors) log.error({ file: r.name, code: e.code, context: e.context }, `rules: ${e.message}`);
    for (const w of r.warnings) log.debug({ file: r.name, code: w.code }, `rules: ${w.message}`);
  }
  if (!ruleset) log.error({ files: paths }, 'rule files failed to load: the workload runs without detection');
  else log.startup({ files: paths, rules: ruleset.rules.length, version: ruleset.version }, 'rules loaded');
  return ruleset;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  const { config, errors, warnings } = loadConfig(process.env);
  const log = createLogger({ level: process.env.SYSDIG_LOGGING, name: 'instrument' });
  for (const e of errors) log.error(`configuration: ${e}`);
  for (const w of warnings) log.warn(`configuration: ${w}`);

  const overrides = { id: config.containerId, name: config.containerName, image: config.containerImage, privileged: config.containerPrivileged };
  const container = initialContainer(overrides);
  const identityReady = fetchEcsMetadata(container, overrides, process.env.ECS_CONTAINER_METADATA_URI_V4, config.metadataTimeoutMs ?? 2000).then(
    (err) => {
      if (err) log.warn(err);
      log.startup({ container: { id: container.id, name: container.name, image: container.image, task: container.task } }, 'container identity');
    },
  );

  // Standalone, the log channel is where alerts go: they print at any
  // SYSDIG_LOGGING level except silent.
  const alertLog = createLogger({ level: config.logging.raw === 'silent' ? 'silent' : 'info', name: 'alerts' });
  const sinks = new AlertSinks([createLogSink(alertLog)]);
  if (config.alertsFile) sinks.add(createFileSink({ path: config.alertsFile, logger: log }));

  // A broken rule set or a bug in setting up detection must not keep the
  // workload from starting: it then runs with detection off, and we say so.
  let ruleset: Ruleset | undefined;
  try {
    ruleset = loadRules(config, log);
  } catch (err) {
    log.error({ err: String((err as Error)?.stack ?? err) }, 'rules failed to load: the workload runs without detection');
  }
  const detection = createDetection({ ruleset, container, sinks, log, syscallsExtra: config.syscallsExtra, identityReady });
  const code = await runWorkload({
    argv,
    env: workloadEnv(process.env),
    log,
    pipeline: detection,
    ringBytes: config.ringBytes,
  });
  await Promise.all([log.flush(500), alertLog.flush(500)]);
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    // Never reached in normal operation: the workload's fate does not depend on us.
    process.stderr.write(`instrument: internal error: ${(err as Error)?.stack ?? err}\n`);
    process.exit(70);
  },
);
