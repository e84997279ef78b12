// The instrumentation options, as data: one entry per flag of SYSDIG_EXTRA_ARGS
// (`--name value`, `--name=value`), which is also a key of SYSDIG_EXTRA_CONF
// (`name: value`). Each entry names the AgentConfig field it sets and the
// parser that validates a value from either source. Pure.
import { PRIORITIES, parsePriority as parseFalcoPriority, type Priority } from '../model/alert.js';

/** Result of parsing one value: the value, or a message (no variable/key prefix). */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** The fields options can set (a subset of AgentConfig). */
export interface OptionValues {
  rulesFiles: string[];
  alertsFile: string | undefined;
  priorityMin: Priority;
  ruleMatching: 'first' | 'all';
  containerId: string | undefined;
  containerName: string | undefined;
  containerImage: string | undefined;
  containerPrivileged: boolean | undefined;
  orchestratorTls: boolean;
  orchestratorCa: string | undefined;
  checkCertificate: boolean;
  securityWaitMs: number;
  syscallsExtra: string[];
  ringBytes: number | undefined;
  /** CPU to pin the tracer thread and the workload to; 'auto': the first CPU the agent may run on; undefined: off. */
  tracerCpu: number | 'auto' | undefined;
  spoolDir: string | undefined;
  metadataTimeoutMs: number;
  /** Falco's time_format_iso_8601: the alert's output line starts with an ISO 8601 time (default: HH:MM:SS.ns). */
  timeFormatIso8601: boolean;
  /** Add the container's id, name and image to every alert's output_fields. */
  alertContainerFields: boolean;
  /** Write every event to this scap capture (docs/capture.md). */
  captureFile: string | undefined;
  /** Rotate the capture to PATH.1 beyond this many MiB (undefined: unbounded). */
  captureSizeMb: number | undefined;
}

export type OptionField = keyof OptionValues;

export interface OptionSpec {
  field: OptionField;
  /** `flag`: no value in SYSDIG_EXTRA_ARGS (`--x` is true, `--x=false` allowed). */
  kind: 'value' | 'flag' | 'list';
  /** Placeholder for docs and errors. */
  arg: string;
  /** Parse one raw value: a string from SYSDIG_EXTRA_ARGS, or any YAML/JSON value from SYSDIG_EXTRA_CONF. */
  parse(raw: unknown): Parsed<unknown>;
  help: string;
}

/** Falco's priorities (src/model/alert.ts), for the options that take one. */
export const FALCO_PRIORITIES: readonly Priority[] = PRIORITIES;

export const SECURITY_WAIT_MAX_MS = 300_000;
export const METADATA_TIMEOUT_MAX_MS = 60_000;
export const RING_BYTES_MIN = 64 * 1024;
export const RING_BYTES_MAX = 1024 * 1024 * 1024;
export const CAPTURE_SIZE_MB_MAX = 1024 * 1024;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (error: string): Parsed<never> => ({ ok: false, error });
const show = (raw: unknown): string => (typeof raw === 'string' ? JSON.stringify(raw) : JSON.stringify(raw) ?? String(raw));

/** A scalar as text (YAML may give numbers for names such as `container-name: 42`). */
function text(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  return undefined;
}

function nonEmpty(what: string): (raw: unknown) => Parsed<string> {
  return (raw) => {
    const t = text(raw)?.trim();
    if (t === undefined || t === '') return fail(`expected ${what}, got ${show(raw)}`);
    return ok(t);
  };
}

const path = nonEmpty('a path');

function word(what: string): (raw: unknown) => Parsed<string> {
  return (raw) => {
    const t = text(raw)?.trim();
    if (t === undefined || t === '' || /\s/.test(t)) return fail(`expected ${what} (no blanks), got ${show(raw)}`);
    return ok(t);
  };
}

function image(raw: unknown): Parsed<string> {
  const t = text(raw)?.trim();
  if (t === undefined || !/^[^\s:@/][^\s@]*(@[A-Za-z0-9_+.-]+:[0-9a-fA-F]{32,})?$/.test(t)) {
    return fail(`expected an image reference repo[:tag][@digest], got ${show(raw)}`);
  }
  return ok(t);
}

export function parseBool(raw: unknown): Parsed<boolean> {
  if (typeof raw === 'boolean') return ok(raw);
  const t = text(raw)?.trim().toLowerCase();
  if (t === 'true' || t === 'yes' || t === 'on' || t === '1') return ok(true);
  if (t === 'false' || t === 'no' || t === 'off' || t === '0') return ok(false);
  return fail(`expected true or false, got ${show(raw)}`);
}

function negated(raw: unknown): Parsed<boolean> {
  const b = parseBool(raw);
  return b.ok ? ok(!b.value) : b;
}

function int(min: number, max: number): (raw: unknown) => Parsed<number> {
  return (raw) => {
    const t = text(raw)?.trim();
    const n = t !== undefined && /^\d+$/.test(t) ? Number(t) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) return fail(`expected an integer from ${min} to ${max}, got ${show(raw)}`);
    return ok(n);
  };
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3 };

/** Bytes, optionally with a binary unit: 8388608, 8M, 8MiB, 512k. */
export function parseSize(raw: unknown, min = RING_BYTES_MIN, max = RING_BYTES_MAX): Parsed<number> {
  const t = text(raw)?.trim().toLowerCase();
  const m = t === undefined ? null : /^(\d+)\s*([a-z]*)$/.exec(t);
  const unit = m ? SIZE_UNITS[m[2] ?? ''] : undefined;
  const n = m && unit !== undefined ? Number(m[1]) * unit : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    return fail(`expected a size in bytes from ${min} to ${max} (suffixes k, M, G allowed), got ${show(raw)}`);
  }
  return ok(n);
}

export function parsePriority(raw: unknown): Parsed<Priority> {
  const t = text(raw);
  const p = t === undefined ? undefined : parseFalcoPriority(t);
  if (p === undefined) {
    const names = FALCO_PRIORITIES.map((x) => (x === 'Informational' ? 'informational (or info)' : x.toLowerCase()));
    return fail(`expected one of ${names.join(', ')}, got ${show(raw)}`);
  }
  return ok(p);
}

function tracerCpu(raw: unknown): Parsed<number | 'auto' | undefined> {
  const t = text(raw)?.trim().toLowerCase();
  if (t === 'off') return ok(undefined);
  if (t === 'auto') return ok('auto');
  const n = t !== undefined && /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n > 4095) return fail(`expected a CPU number, auto or off, got ${show(raw)}`);
  return ok(n);
}

function ruleMatching(raw: unknown): Parsed<'first' | 'all'> {
  const t = text(raw)?.trim().toLowerCase();
  if (t === 'first' || t === 'all') return ok(t);
  return fail(`expected one of first, all, got ${show(raw)}`);
}

/** `name,name` (or a YAML list of names): lower-case syscall names, deduplicated, empty items ignored. */
export function parseSyscalls(raw: unknown): Parsed<string[]> {
  const items: unknown[] = Array.isArray(raw) ? raw : [raw];
  const out: string[] = [];
  for (const item of items) {
    const t = text(item);
    if (t === undefined) return fail(`expected syscall names separated by commas, got ${show(raw)}`);
    for (const part of t.split(',')) {
      const name = part.trim().toLowerCase();
      if (name === '') continue;
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) return fail(`expected syscall names separated by commas, got ${show(part.trim())}`);
      if (!out.includes(name)) out.push(name);
    }
  }
  return ok(out);
}

/** A list of paths: a YAML list, or one path. */
function paths(raw: unknown): Parsed<string[]> {
  const items: unknown[] = Array.isArray(raw) ? raw : [raw];
  const out: string[] = [];
  for (const item of items) {
    const p = path(item);
    if (!p.ok) return p;
    out.push(p.value);
  }
  return ok(out);
}

/** Flag name (without the leading `--`) -> spec. The order is the documentation order. */
export const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  'rules-file': { field: 'rulesFiles', kind: 'list', arg: 'PATH', parse: paths, help: 'Falco rules file; repeatable, loaded in order (default: the embedded rules)' },
  'alerts-file': { field: 'alertsFile', kind: 'value', arg: 'PATH', parse: path, help: 'also append alerts as JSON lines to this file' },
  'priority-min': { field: 'priorityMin', kind: 'value', arg: 'PRIORITY', parse: parsePriority, help: 'load only rules of this Falco priority or more severe (default debug: all)' },
  'rule-matching': { field: 'ruleMatching', kind: 'value', arg: 'first|all', parse: ruleMatching, help: 'per event, alert on the first matching rule or on all (default first)' },
  'container-id': { field: 'containerId', kind: 'value', arg: 'ID', parse: word('a container id'), help: 'container id (default: ECS metadata, cgroup, hostname)' },
  'container-name': { field: 'containerName', kind: 'value', arg: 'NAME', parse: nonEmpty('a container name'), help: 'container name (default: ECS metadata, hostname)' },
  'container-image': { field: 'containerImage', kind: 'value', arg: 'REPO:TAG', parse: image, help: 'container image (default: ECS metadata)' },
  'container-privileged': { field: 'containerPrivileged', kind: 'value', arg: 'true|false', parse: parseBool, help: 'container.privileged (default: derived from the capability bounding set)' },
  'orchestrator-tls': { field: 'orchestratorTls', kind: 'flag', arg: '', parse: parseBool, help: 'use TLS to the orchestrator (the default)' },
  'no-orchestrator-tls': { field: 'orchestratorTls', kind: 'flag', arg: '', parse: negated, help: 'plaintext to the orchestrator: the access key and alerts cross the network unencrypted (warned at start)' },
  'orchestrator-ca': { field: 'orchestratorCa', kind: 'value', arg: 'FILE', parse: path, help: 'PEM CA certificate(s) trusted, besides Node\'s bundled roots, to verify the orchestrator/collector certificate' },
  'no-check-certificate': { field: 'checkCertificate', kind: 'flag', arg: '', parse: negated, help: 'do not verify TLS certificates (development only)' },
  'security-wait-ms': { field: 'securityWaitMs', kind: 'value', arg: 'N', parse: int(0, SECURITY_WAIT_MAX_MS), help: 'with SYSDIG_PRIORITY=security, the longest wait for policies before the workload starts (default 10000)' },
  'syscalls-extra': { field: 'syscallsExtra', kind: 'list', arg: 'NAME,NAME', parse: parseSyscalls, help: 'extra syscalls the seccomp filter should stop on, beyond those the rules need' },
  'ring-bytes': { field: 'ringBytes', kind: 'value', arg: 'N', parse: (r) => parseSize(r), help: "tracer ring buffer size in bytes, k/M/G suffixes allowed (default: the tracer's)" },
  'tracer-cpu': { field: 'tracerCpu', kind: 'value', arg: 'N|auto|off', parse: tracerCpu, help: 'pin the tracer thread and the workload to one CPU (auto: the first allowed CPU); default off' },
  'spool-dir': { field: 'spoolDir', kind: 'value', arg: 'DIR', parse: path, help: 'directory to spool alerts to while the orchestrator is unreachable (default: memory only)' },
  'time-format-iso-8601': { field: 'timeFormatIso8601', kind: 'value', arg: 'true|false', parse: parseBool, help: "Falco's time_format_iso_8601: alert output lines start with an ISO 8601 time (default false: HH:MM:SS.nnnnnnnnn, UTC)" },
  'alert-container-fields': { field: 'alertContainerFields', kind: 'value', arg: 'true|false', parse: parseBool, help: "add container.id, container.name and container.image.* to every alert's output_fields (default true)" },
  'metadata-timeout-ms': { field: 'metadataTimeoutMs', kind: 'value', arg: 'N', parse: int(0, METADATA_TIMEOUT_MAX_MS), help: 'bound on the ECS task metadata request (default 2000)' },
  'capture-file': { field: 'captureFile', kind: 'value', arg: 'PATH', parse: path, help: 'write every event to this scap capture file, readable by sysdig -r and agentctl replay (docs/capture.md)' },
  'capture-size-mb': { field: 'captureSizeMb', kind: 'value', arg: 'N', parse: int(1, CAPTURE_SIZE_MB_MAX), help: 'rotate the capture file to PATH.1 when it would exceed N MiB (default: unbounded)' },
};

export const OPTION_DEFAULTS: Readonly<OptionValues> = {
  rulesFiles: [],
  alertsFile: undefined,
  priorityMin: 'Debug',
  ruleMatching: 'first',
  containerId: undefined,
  containerName: undefined,
  containerImage: undefined,
  containerPrivileged: undefined,
  // TLS unless explicitly turned off: the hello carries the access key.
  orchestratorTls: true,
  orchestratorCa: undefined,
  checkCertificate: true,
  securityWaitMs: 10_000,
  syscallsExtra: [],
  ringBytes: undefined,
  tracerCpu: undefined,
  spoolDir: undefined,
  metadataTimeoutMs: 2000,
  timeFormatIso8601: false,
  alertContainerFields: true,
  captureFile: undefined,
  captureSizeMb: undefined,
};

export function optionSpec(name: string): OptionSpec | undefined {
  return Object.prototype.hasOwnProperty.call(OPTIONS, name) ? OPTIONS[name] : undefined;
}
