// The agent's configuration from the environment (SYSDIG_*), documented in
// docs/configuration.md. Pure: no I/O beyond reading the env object given.
export {
  loadConfig,
  redactConfig,
  parseExtraArgs,
  parseExtraConf,
  DEFAULT_ORCHESTRATOR_PORT,
  DEFAULT_COLLECTOR_PORT,
  type AgentConfig,
  type LoadedConfig,
} from './load.js';
export { SECRET_ENV_VARS, workloadEnv } from './secrets.js';
export { supervisorEnv } from './supervisor.js';
export { splitShellWords, type SplitResult } from './split.js';
export {
  OPTIONS,
  OPTION_DEFAULTS,
  FALCO_PRIORITIES,
  parsePriority,
  parseSize,
  parseSyscalls,
  type OptionSpec,
  type OptionValues,
} from './options.js';
