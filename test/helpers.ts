// Shared helpers for tests that run real programs under the real agent.
import { execa, type Options, type ResultPromise } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const INSTRUMENT = join(ROOT, 'bin', 'instrument');
/** The vendored upstream Falco rule files (rules/upstream, see its README). */
export const SHARED_RULES = join(ROOT, 'rules', 'upstream');
export const TRACE_RUN = join(ROOT, 'out', 'test', 'fixtures', 'trace-run.js');

const made: string[] = [];
// Each test file is one process: what it made in /tmp goes when it exits
// (KEEP_TEST_TMP=1 keeps it, to look at after a failure).
process.on('exit', () => {
  if (process.env.KEEP_TEST_TMP === '1') return;
  for (const d of made) rmSync(d, { recursive: true, force: true, maxRetries: 2 });
});

/** A new directory under the system temp dir, removed when the test process exits. */
export function tmp(prefix = 'agent-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Environment for a test run: no orchestrator, logs to stderr (nothing listens on the log port). */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SYSDIG_')) env[k] = v;
  // a port nothing listens on, so the agent's logs fall back to stderr
  env.SYSDIG_LOG_PORT = '1';
  return { ...env, ...extra };
}

/** Runs bin/instrument with args; never throws on a non-zero exit. */
export function instrument(args: string[], opts: Options = {}): ResultPromise<{ reject: false }> {
  return execa(INSTRUMENT, args, { reject: false, env: testEnv(), extendEnv: false, timeout: 60_000, ...opts }) as unknown as ResultPromise<{
    reject: false;
  }>;
}

export interface Rec {
  kind: number;
  pid: number;
  tid: number;
  nr: number;
  name?: string;
  flags: number;
  ret: number;
  args: number[];
  items: Record<string, string>;
}

/**
 * Runs argv under the real supervisor with a record-dumping analysis
 * (test/fixtures/trace-run: every syscall the tracer knows) and returns its records.
 */
export async function traceRun(argv: string[], opts: Options = {}): Promise<{ records: Rec[]; exit: number; stats: Record<string, number> }> {
  const out = join(tmp('trace-'), 'records.jsonl');
  await execa(INSTRUMENT, argv, { timeout: 60_000, ...opts, env: { ...process.env, ...(opts.env ?? {}), DRAIOS_ANALYSIS_SCRIPT: TRACE_RUN, TRACE_OUT: out } });
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const last = lines.pop();
  return { records: lines as Rec[], exit: last.exit, stats: last.stats };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until pred() is true, polling; throws after timeoutMs. */
export async function until(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The state letter of /proc/PID/stat (R, S, T, Z...). */
export function procState(pid: number): string {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
}

/** Alerts from an --alerts-file (JSON lines); none when the file was never written. */
export function readAlerts(file: string): import('../src/model/alert.js').FalcoAlert[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.pop(); // only whole lines: a writer may be mid-line
  return lines.filter(Boolean).map((l) => JSON.parse(l));
}

/**
 * Runs argv under instrument with `extraArgs` in SYSDIG_EXTRA_ARGS plus an
 * alerts file; returns the result and the alerts written.
 */
export async function runForAlerts(argv: string[], extraArgs: string, env: Record<string, string> = {}, exec: Options = {}) {
  const alerts = join(tmp('alerts-'), 'alerts.jsonl');
  const r = await instrument(argv, {
    env: testEnv({ SYSDIG_LOGGING: 'error', ...env, SYSDIG_EXTRA_ARGS: `${extraArgs} --alerts-file ${alerts}` }),
    ...exec,
  });
  return { r, alerts: readAlerts(alerts) };
}

/** A name for an existing binary, as a symlink in dir (the kernel's comm follows the link name). */
export function namedBinary(dir: string, name: string, target: string): string {
  const d = join(dir, 'bin-' + name);
  mkdirSync(d, { recursive: true });
  const p = join(d, name);
  if (!existsSync(p)) symlinkSync(target, p);
  return p;
}
