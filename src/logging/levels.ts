// SYSDIG_LOGGING -> the agent logger's level. Owns the level table (pino's
// levels plus `critical` between error and fatal) and the parsing of the raw
// environment value; no I/O.

/** Level names the agent logger understands (pino names; `warning` maps to `warn`). */
export type LogLevelName = 'silent' | 'fatal' | 'critical' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** The custom pino level: between error (50) and fatal (60). */
export const CRITICAL_LEVEL_VALUE = 55;

/** What SYSDIG_LOGGING asks for. */
export interface ParsedLogLevel {
  /** The pino level threshold; `silent` prints nothing at all. */
  level: LogLevelName;
  /** `logger.startup(...)` lines are printed (true unless silent). */
  startup: boolean;
  /**
   * False when the raw value was unset, empty or not recognised: then the
   * logger prints start-up lines and errors only ("minimal start-up logs").
   */
  known: boolean;
}

const NAMES: Readonly<Record<string, LogLevelName>> = {
  silent: 'silent',
  fatal: 'fatal',
  critical: 'critical',
  error: 'error',
  warning: 'warn',
  warn: 'warn',
  info: 'info',
  debug: 'debug',
  trace: 'trace',
};

/**
 * Parse a raw SYSDIG_LOGGING value (case-insensitive, surrounding blanks
 * ignored). `warning` (and `warn`) -> warn; unknown, empty or unset ->
 * minimal start-up logs: level `error` plus start-up lines. Never throws.
 */
export function parseLogLevel(raw: string | undefined | null): ParsedLogLevel {
  const key = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  const level = Object.prototype.hasOwnProperty.call(NAMES, key) ? NAMES[key] : undefined;
  if (level === undefined) return { level: 'error', startup: true, known: false };
  return { level, startup: level !== 'silent', known: true };
}
