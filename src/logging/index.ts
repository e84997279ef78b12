// The agent's own logging: pino to the logwriter sidecar (TCP localhost:32000)
// or stderr; SYSDIG_LOGGING parsing. The sidecar side is ./logwriter.ts.
export { parseLogLevel, CRITICAL_LEVEL_VALUE, type LogLevelName, type ParsedLogLevel } from './levels.js';
export {
  createLogger,
  createStderrLogger,
  lineFormat,
  DEFAULT_LOG_HOST,
  DEFAULT_LOG_PORT,
  DEFAULT_LOG_BUFFER_BYTES,
  type AgentLogger,
  type CreateLoggerOptions,
  type LogFn,
  type LogStats,
} from './logger.js';
export { LineSink, type LineSinkOptions, type LineSinkStats } from './destination.js';
