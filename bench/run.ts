// Tracing overhead: OSBench-style workloads, an untraced-syscall loop, an
// HTTP server under loopback load, start-up latency and the agent's peak
// memory; each run natively, under bin/instrument with the upstream stable
// Falco rules, and under `strace -f --seccomp-bpf -e trace=<the same
// syscalls>`, alternating, several times. Prints a markdown table and writes
// it into docs/BENCHMARKS.md (section "Tracing overhead", between markers).
//
// Usage: npm run bench -- [--reps N] [--only a,b] [--modes native,agent,strace]
//                         [--http-seconds S] [--no-write] [--label TEXT]
//                         [--agent-args "..."] [--json FILE]
// Needs gcc and strace (installed by .ci/run); installs nothing.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { cpus, tmpdir, totalmem, release } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { loadRuleFiles } from '../src/rules/index.js';
import { syscallSet } from '../src/wrapper/detection.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const srcDir = join(root, 'bench', 'workloads');
const RULES = process.env.BENCH_RULES ?? join(root, 'rules', 'upstream', 'falco_rules.yaml');

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
function opt(name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}
const reps = Number(opt('--reps') ?? 5);
const only = opt('--only')?.split(',');
const modes = (opt('--modes') ?? 'native,agent,strace').split(',') as Mode[];
const httpSeconds = Number(opt('--http-seconds') ?? 3);
const write = !argv.includes('--no-write');
const label = opt('--label');
const agentArgs = opt('--agent-args') ?? '';
const jsonOut = opt('--json');

type Mode = 'native' | 'agent' | 'strace';

interface Workload {
  name: string;
  title: string;
  kind: 'loop' | 'http' | 'startup' | 'first';
  /** C source (bench/workloads/NAME.c) and its argv after the binary. */
  args?: string[];
  /** traced/native speed the issue asks for (loop, http); ms slower (startup). */
  target: string;
  /** pdig's published traced/native speed, where there is one. */
  pdig?: number;
  /** Tasks (processes, threads) created and programs exec'ed per operation, for the stop counts. */
  tasks?: number;
  execs?: number;
  /** Signals delivered to the workload per operation (SIGCHLD of a reaped child): a stop each under ptrace. */
  signals?: number;
  /** http: the server (out/bench/http-server.js or bench/workloads/http_server.c) and the client's connections. */
  server?: 'node' | 'c';
  conn?: 'keepalive' | 'close';
}

const WORKLOADS: Workload[] = [
  { name: 'create_files', title: 'create files', kind: 'loop', args: ['10000'], target: '>= 2x strace', pdig: 0.245 },
  { name: 'create_threads', title: 'create threads', kind: 'loop', args: ['5000'], target: '>= 2x strace', pdig: 0.495, tasks: 1 },
  { name: 'launch_programs', title: 'launch programs', kind: 'loop', args: ['400'], target: '>= 2x strace', pdig: 0.255, tasks: 1, execs: 1, signals: 1 },
  { name: 'create_processes', title: 'create processes', kind: 'loop', args: ['2000'], target: '>= 2x strace', pdig: 0.285, tasks: 1, signals: 1 },
  { name: 'mem_alloc', title: 'memory allocations', kind: 'loop', args: ['20000000'], target: '>= 0.98 (and 2x strace)', pdig: 1.005 },
  { name: 'getppid_loop', title: 'untraced syscall (getppid)', kind: 'loop', args: ['2000000'], target: '>= 0.95' },
  { name: 'http_node_ka', title: 'HTTP server, Node.js, keep-alive (8 conns)', kind: 'http', server: 'node', conn: 'keepalive', target: '>= 0.9' },
  { name: 'http_node_close', title: 'HTTP server, Node.js, connection per request (8 conns)', kind: 'http', server: 'node', conn: 'close', target: '>= 0.9' },
  { name: 'http_c_ka', title: 'HTTP server, C epoll, keep-alive (8 conns)', kind: 'http', server: 'c', conn: 'keepalive', target: '>= 0.9' },
  { name: 'http_c_close', title: 'HTTP server, C epoll, connection per request (8 conns)', kind: 'http', server: 'c', conn: 'close', target: '>= 0.9' },
  { name: 'first_insn', title: 'start-up: launch to the workload\'s first instruction (default rules, median of 20)', kind: 'first', target: '<= +15 ms' },
  { name: 'startup', title: 'whole run of `instrument true` vs `true` (exit waits for the analysis to drain), repo', kind: 'startup', target: '<= +150 ms' },
  { name: 'startup_dist', title: 'start-up, deployed tree (`npm run dist`: bundle + launcher)', kind: 'startup', target: '<= +150 ms' },
];

// ---------------------------------------------------------------- build
function build(): string {
  const sources = readdirSync(srcDir).filter((f) => f.endsWith('.c') || f.endsWith('.h')).sort();
  const h = createHash('sha256');
  for (const s of sources) h.update(s).update(readFileSync(join(srcDir, s)));
  const dir = join(tmpdir(), `draios-bench-${h.digest('hex').slice(0, 12)}`);
  mkdirSync(dir, { recursive: true });
  for (const s of sources.filter((f) => f.endsWith('.c'))) {
    const out = join(dir, s.slice(0, -2));
    if (existsSync(out)) continue;
    const r = spawnSync('gcc', ['-O2', '-Wall', '-pthread', '-o', out, join(srcDir, s)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gcc ${s}: ${r.stderr}`);
  }
  return dir;
}

// ---------------------------------------------------------------- the traced set
function tracedSyscalls(): string[] {
  const content = readFileSync(RULES, 'utf8');
  const { ruleset } = loadRuleFiles([{ name: RULES, content }], { ruleMatching: 'first', hostname: 'bench' });
  if (!ruleset) throw new Error(`${RULES}: rules failed to load`);
  return syscallSet(ruleset, [], process.env.DRAIOS_BENCH_EXACT_STATE === '1').map((s) => s.name);
}

// ---------------------------------------------------------------- running
interface RunResult {
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Agent VmHWM in KiB, sampled; agent mode only: the supervisor (instrument) and the analysis process. */
  hwmKb?: number;
  analysisHwmKb?: number;
  /** Ptrace stops the agent made (its exit summary). */
  stops?: number;
  dropped?: number;
}

let straceList = '';
/** When set, strace runs with -c into this file (its count of traced calls), not -o /dev/null. */
let straceCountFile: string | undefined;
/** bin/instrument of a `npm run dist` tree built into the temp dir (start-up of the shipped form). */
let distInstrument = '';
const agentEnv = (defaults = false): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, SYSDIG_LOGGING: 'info' };
  // The embedded default rules and no extra configuration: the supervisor's
  // fast path (the workload starts before the analysis is up).
  if (defaults) delete env.SYSDIG_LOGGING;
  else env.SYSDIG_EXTRA_ARGS = `--rules-file ${RULES} ${agentArgs}`.trim();
  return env;
};

function command(mode: Mode, cmd: string[], dist = false, defaults = false): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  if (mode === 'agent') return { file: dist ? distInstrument : join(root, 'bin', 'instrument'), args: cmd, env: agentEnv(defaults) };
  if (mode === 'strace') {
    const out = straceCountFile ? ['-c', '-o', straceCountFile] : ['-o', '/dev/null'];
    return { file: 'strace', args: ['-f', '--seccomp-bpf', '-e', `trace=${straceList}`, ...out, ...cmd], env: process.env };
  }
  return { file: cmd[0]!, args: cmd.slice(1), env: process.env };
}

function readHwm(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The agent's own report at exit: the "workload exited" line. */
function exitSummary(stderr: string): { dropped?: number; stops?: number } {
  let d: { dropped?: number; stops?: number } = {};
  for (const line of stderr.split('\n')) {
    if (!line.includes('"workload exited"')) continue;
    try {
      d = JSON.parse(line) as { dropped?: number; stops?: number };
    } catch {
      /* not ours */
    }
  }
  return d;
}

/** The analysis process of a supervisor: its child running node. */
function analysisPid(sup: number): number | undefined {
  try {
    for (const c of readFileSync(`/proc/${sup}/task/${sup}/children`, 'utf8').split(' ').filter(Boolean)) {
      if (/node|draios-analysis/.test(readFileSync(`/proc/${c}/cmdline`, 'utf8').split('\0')[0] ?? '')) return Number(c);
    }
  } catch {
    /* gone */
  }
  return undefined;
}

/**
 * Runs to completion; onLine sees stdout lines as they come (for the HTTP
 * server's "port=" line). The agent's VmHWM is sampled every 5 ms (it only
 * grows, so the last sample is the peak up to then).
 */
function run(mode: Mode, cmd: string[], onLine?: (line: string) => void, dist = false, defaults = false): Promise<RunResult> {
  const c = command(mode, cmd, dist, defaults);
  const t0 = process.hrtime.bigint();
  const child = spawn(c.file, c.args, { env: c.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let hwm: number | undefined;
  let analysisHwm: number | undefined;
  let analysis: number | undefined;
  const sample = (): void => {
    const v = child.pid ? readHwm(child.pid) : undefined;
    if (v !== undefined) hwm = Math.max(hwm ?? 0, v);
    analysis ??= child.pid ? analysisPid(child.pid) : undefined;
    const a = analysis ? readHwm(analysis) : undefined;
    if (a !== undefined) analysisHwm = Math.max(analysisHwm ?? 0, a);
  };
  const timer = mode === 'agent' ? setInterval(sample, 5) : undefined;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    const before = stdout.length;
    stdout += d;
    if (onLine) for (const l of stdout.slice(stdout.lastIndexOf('\n', before) + 1).split('\n').slice(0, -1)) onLine(l);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // sample once more the moment the workload is done (its exit closes stdout)
  child.stdout.on('end', () => mode === 'agent' && sample());
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => {
      if (timer) clearInterval(timer);
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0 && !onLine) {
        reject(new Error(`${mode} ${cmd.join(' ')}: exit ${code ?? sig}\n${stderr.slice(-2000)}`));
        return;
      }
      const summary = mode === 'agent' ? exitSummary(stderr) : {};
      resolve({ stdout, stderr, wallMs, hwmKb: hwm, analysisHwmKb: analysisHwm, dropped: summary.dropped, stops: summary.stops });
    });
  });
}

interface Sample {
  value: number; // loop: ns per op; http: requests/s; startup, first: ms
  hwmKb?: number;
  analysisHwmKb?: number;
  dropped?: number;
  /** Ptrace stops per operation (loop workloads) or per request answered (http, the server's start included). */
  stopsPerOp?: number;
  /** http: requests answered over the whole run, warm-up included. */
  total?: number;
}

async function runLoop(bin: string, w: Workload, mode: Mode): Promise<Sample> {
  const r = await run(mode, [join(bin, w.name), ...(w.args ?? [])]);
  const m = /ns=(\d+) ops=(\d+)/.exec(r.stdout);
  if (!m) throw new Error(`${w.name} (${mode}): no result in ${JSON.stringify(r.stdout)}`);
  const ops = Number(m[2]);
  return { value: Number(m[1]) / ops, hwmKb: r.hwmKb, analysisHwmKb: r.analysisHwmKb, dropped: r.dropped, stopsPerOp: r.stops !== undefined ? r.stops / ops : undefined };
}

/**
 * Stops per operation of strace, and the least any ptrace tracer needs:
 * strace stops twice for each syscall of the list (the seccomp stop, then the
 * exit it always waits for to print the result), twice per task created (the
 * parent's clone event, the new task's first stop), once per exec (the
 * exec event) and once per signal delivered (a signal-delivery stop). The least: one stop per listed syscall (its arguments are
 * only seen at a stop), the same for tasks and signals, one per exec (which then
 * stands in for the execve's own stops). The calls come from `strace -c`,
 * one extra run per workload apart from the timed ones (-c changes strace's
 * own cost).
 */
function stopCounts(bin: string, w: Workload): { strace: number; least: number } {
  const out = join(tmpdir(), `draios-bench-strace-c-${process.pid}`);
  const r = spawnSync('strace', ['-f', '--seccomp-bpf', '-c', '-e', `trace=${straceList}`, '-o', out, join(bin, w.name), ...(w.args ?? [])], { encoding: 'utf8' });
  const m = /ns=(\d+) ops=(\d+)/.exec(r.stdout);
  const text = readFileSync(out, 'utf8');
  const total = straceCalls(out);
  if (!m || total === undefined) return { strace: NaN, least: NaN };
  const ops = Number(m[2]);
  const execCalls = Number(/^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)(?:\s+\d+)?\s+execve$/m.exec(text)?.[1] ?? 0);
  const calls = total / ops;
  const events = 2 * (w.tasks ?? 0) + (w.execs ?? 0) + (w.signals ?? 0);
  return { strace: 2 * calls + events, least: calls - execCalls / ops + events };
}

/** The total of calls in a `strace -c` report. */
function straceCalls(file: string): number | undefined {
  const total = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)(?:\s+\d+)?\s+total$/m.exec(readFileSync(file, 'utf8'));
  return total ? Number(total[1]) : undefined;
}

/** strace's stops per request for an HTTP workload: one extra run with -c (twice the traced calls, per request answered). */
async function straceStopsPerRequest(bin: string, w: Workload): Promise<number> {
  straceCountFile = join(tmpdir(), `draios-bench-strace-c-${process.pid}`);
  try {
    const s = await runHttp(bin, 'strace', w);
    const calls = straceCalls(straceCountFile);
    return calls === undefined || !s.total ? NaN : (2 * calls) / s.total;
  } finally {
    straceCountFile = undefined;
  }
}

/** Launch to the workload's first instruction: median of 20 (first_insn prints CLOCK_MONOTONIC, as hrtime reads it). */
async function runFirst(bin: string, mode: Mode, dist: boolean): Promise<Sample> {
  const t: number[] = [];
  let hwm: number | undefined;
  for (let i = 0; i < 20; i++) {
    const t0 = process.hrtime.bigint();
    const r = await run(mode, [join(bin, 'first_insn')], undefined, dist, true);
    const m = /t=(\d+)/.exec(r.stdout);
    if (!m) throw new Error(`first_insn (${mode}): ${r.stdout}`);
    t.push(Number(BigInt(m[1]!) - t0) / 1e6);
    if (r.hwmKb) hwm = Math.max(hwm ?? 0, r.hwmKb);
  }
  return { value: median(t), hwmKb: hwm };
}

async function runHttp(bin: string, mode: Mode, w: Workload): Promise<Sample> {
  let load: Promise<string> | undefined;
  let serverPid = 0;
  const serverCmd = w.server === 'c' ? [join(bin, 'http_server')] : [process.execPath, join(root, 'out', 'bench', 'http-server.js')];
  const server = run(mode, serverCmd, (line) => {
    const m = /port=(\d+) pid=(\d+)/.exec(line);
    if (!m || load) return;
    serverPid = Number(m[2]);
    load = new Promise((resolve, reject) => {
      const l = spawn(join(bin, 'http_load'), [m[1]!, '8', String(httpSeconds), w.conn ?? 'keepalive'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      l.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      l.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`http_load exit ${code}`))));
    });
  });
  const deadline = Date.now() + 20_000;
  while (!load && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  if (!load) throw new Error(`http server (${mode}) did not start`);
  const out = await load.finally(() => serverPid && process.kill(serverPid, 'SIGTERM'));
  const r = await server;
  const m = /rps=([\d.]+) errors=(\d+) total=(\d+)/.exec(out);
  if (!m || m[2] !== '0') throw new Error(`http (${mode}): ${out}`);
  const total = Number(m[3]);
  return { value: Number(m[1]), hwmKb: r.hwmKb, dropped: r.dropped, total, stopsPerOp: r.stops !== undefined ? r.stops / total : undefined };
}

async function runStartup(mode: Mode, dist: boolean): Promise<Sample> {
  // the median of 5 back-to-back starts of `true`
  const t: number[] = [];
  let hwm: number | undefined;
  let dropped: number | undefined;
  for (let i = 0; i < 5; i++) {
    const r = await run(mode, ['/bin/true'], undefined, dist);
    t.push(r.wallMs);
    if (r.hwmKb) hwm = Math.max(hwm ?? 0, r.hwmKb);
    if (r.dropped !== undefined) dropped = (dropped ?? 0) + r.dropped;
  }
  return { value: median(t), hwmKb: hwm, dropped };
}

/** getppid under a bare seccomp filter (no tracer), ns per call, one per repetition. */
const floor: number[] = [];

function buildDist(bin: string): string {
  const prefix = join(bin, 'dist');
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'dist.mjs'), '--prefix', prefix], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run dist: ${r.stderr}${r.stdout}`);
  return join(prefix, 'bin', 'instrument');
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};

// ---------------------------------------------------------------- report
interface Row {
  w: Workload;
  samples: Record<Mode, Sample[]>;
}

const fmtLoop = (ns: number): string => (ns >= 10_000 ? `${(ns / 1000).toFixed(1)} us` : ns >= 1000 ? `${(ns / 1000).toFixed(2)} us` : `${ns.toFixed(0)} ns`);

function table(rows: Row[]): { md: string; summary: Record<string, unknown>[] } {
  const lines = [
    '| Workload | Native | Agent | strace | Agent speed | strace speed | Agent / strace | Target | Met | pdig |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  const summary: Record<string, unknown>[] = [];
  for (const { w, samples } of rows) {
    const med = (m: Mode): number => median(samples[m].map((s) => s.value));
    const n = med('native'), a = med('agent'), s = med('strace');
    let cells: string[];
    let met: boolean | undefined;
    let agentSpeed = NaN, straceSpeed = NaN;
    if (w.kind === 'startup' || w.kind === 'first') {
      const slower = a - n;
      met = !Number.isNaN(slower) ? slower <= (w.kind === 'first' ? 15 : 150) : undefined;
      const digits = w.kind === 'first' ? 1 : 0;
      cells = [`${n.toFixed(1)} ms`, `${a.toFixed(1)} ms`, `${s.toFixed(1)} ms`, `+${slower.toFixed(digits)} ms`, `+${(s - n).toFixed(digits)} ms`, '', w.target];
    } else {
      // speed = traced/native: native time / traced time, or traced rps / native rps
      agentSpeed = w.kind === 'http' ? a / n : n / a;
      straceSpeed = w.kind === 'http' ? s / n : n / s;
      const vs = agentSpeed / straceSpeed;
      if (w.kind === 'http') met = agentSpeed >= 0.9;
      else if (w.name === 'getppid_loop') met = agentSpeed >= 0.95;
      else if (w.name === 'mem_alloc') met = agentSpeed >= 0.98;
      else met = vs >= 2;
      const f = w.kind === 'http' ? (x: number): string => `${Math.round(x).toLocaleString('en-US')} req/s` : fmtLoop;
      cells = [f(n), f(a), f(s), agentSpeed.toFixed(3), straceSpeed.toFixed(3), `${vs.toFixed(2)}x`, w.target];
    }
    const pdig = w.pdig !== undefined ? w.pdig.toFixed(3) : '';
    lines.push(`| ${w.title} | ${cells.join(' | ')} | ${met === undefined ? '?' : met ? 'yes' : '**no**'} | ${pdig} |`);
    summary.push({ workload: w.name, native: n, agent: a, strace: s, agentSpeed, straceSpeed, met });
  }
  return { md: lines.join('\n'), summary };
}

function machine(): string {
  const c = cpus();
  const model = c[0]?.model.trim() ?? 'unknown CPU';
  const gib = (totalmem() / 2 ** 30).toFixed(1);
  const sv = spawnSync('strace', ['-V'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? 'strace ?';
  return `${model}, ${c.length} vCPU, ${gib} GiB, Linux ${release()}, Node ${process.version}, ${sv.trim()}`;
}

// ---------------------------------------------------------------- main
async function main(): Promise<void> {
  const bin = build();
  straceList = tracedSyscalls().join(',');
  const selected = WORKLOADS.filter((w) => !only || only.includes(w.name));
  const rows: Row[] = selected.map((w) => ({ w, samples: { native: [], agent: [], strace: [] } }));
  if (selected.some((w) => w.name === 'startup_dist') && modes.includes('agent')) distInstrument = buildDist(bin);
  console.error(`bench: ${reps} reps, modes ${modes.join(',')}, traced syscalls: ${straceList}`);
  for (let rep = 0; rep < reps; rep++) {
    for (const row of rows) {
      // alternate the order from one repetition to the next
      const order = rep % 2 ? [...modes].reverse() : modes;
      for (const mode of order) {
        const s =
          row.w.kind === 'loop'
            ? await runLoop(bin, row.w, mode)
            : row.w.kind === 'http'
              ? await runHttp(bin, mode, row.w)
              : row.w.kind === 'first'
                ? await runFirst(bin, mode, false)
                : await runStartup(mode, row.w.name === 'startup_dist');
        if (row.w.name === 'getppid_loop' && mode === 'native') {
          // the kernel's floor: the same loop under a bare filter, no tracer
          floor.push((await runLoop(bin, { ...row.w, args: [...(row.w.args ?? []), 'filter'] }, 'native')).value);
        }
        row.samples[mode].push(s);
        const v = row.w.kind === 'loop' ? fmtLoop(s.value) : row.w.kind === 'http' ? `${s.value.toFixed(0)} req/s` : `${s.value.toFixed(1)} ms`;
        console.error(`  rep ${rep + 1} ${row.w.name} ${mode}: ${v}${s.hwmKb ? ` hwm=${(s.hwmKb / 1024).toFixed(1)}MiB` : ''}${s.dropped !== undefined ? ` dropped=${s.dropped}` : ''}`);
      }
    }
  }
  const { md, summary } = table(rows);
  // Stops per operation: the agent's own count, strace's from `strace -c`.
  const stopLines = ['| Workload | Agent stops/op | strace stops/op | Least for ptrace | Agent / strace |', '|---|---|---|---|---|'];
  for (const row of rows.filter((r) => (r.w.kind === 'loop' || r.w.kind === 'http') && modes.includes('agent'))) {
    const a = median(row.samples.agent.map((x) => x.stopsPerOp ?? NaN));
    const st = !modes.includes('strace')
      ? { strace: NaN, least: NaN }
      : row.w.kind === 'http'
        ? { strace: await straceStopsPerRequest(bin, row.w), least: NaN }
        : stopCounts(bin, row.w);
    const digits = row.w.kind === 'http' ? 3 : 2;
    stopLines.push(`| ${row.w.title}${row.w.kind === 'http' ? ' (per request)' : ''} | ${a.toFixed(digits)} | ${st.strace.toFixed(digits)} | ${Number.isNaN(st.least) ? '-' : st.least.toFixed(2)} | ${st.strace ? (a / st.strace).toFixed(2) : '-'} |`);
  }
  // The machine is shared: each repetition runs the modes back to back, so
  // the ratio within a repetition is steadier than the ratio of medians.
  const pairLines: string[] = [];
  for (const row of rows.filter((r) => r.w.kind === 'http')) {
    const per = (m: Mode): number[] => row.samples[m].map((x, i) => x.value / (row.samples.native[i]?.value ?? NaN)).filter((x) => !Number.isNaN(x));
    const fmt = (xs: number[]): string => (xs.length ? `${median(xs).toFixed(2)} [${Math.min(...xs).toFixed(2)} - ${Math.max(...xs).toFixed(2)}]` : 'n/a');
    const nat = row.samples.native.map((x) => x.value);
    pairLines.push(`| ${row.w.title} | ${Math.round(Math.min(...nat)).toLocaleString('en-US')} - ${Math.round(Math.max(...nat)).toLocaleString('en-US')} | ${modes.includes('agent') ? fmt(per('agent')) : ''} | ${modes.includes('strace') ? fmt(per('strace')) : ''} |`);
  }
  const pairBlock = pairLines.length
    ? ['HTTP, per repetition (traced / native requests/s of the same repetition: median [min - max]):', '', '| Workload | Native req/s, range | Agent / native | strace / native |', '|---|---|---|---|', ...pairLines, ''].join('\n')
    : '';
  const agentSamples = rows.flatMap((r) => r.samples.agent);
  const peak = Math.max(0, ...agentSamples.map((s) => s.hwmKb ?? 0));
  const analysisPeak = Math.max(0, ...agentSamples.map((s) => s.analysisHwmKb ?? 0));
  const dropped = agentSamples.reduce((n, s) => n + (s.dropped ?? 0), 0);
  const unreported = agentSamples.filter((s) => s.dropped === undefined).length;
  const peakLine =
    `Peak resident memory (VmHWM, highest over all agent runs): supervisor (\`instrument\`) **${(peak / 1024).toFixed(1)} MiB**, ` +
    `analysis process **${(analysisPeak / 1024).toFixed(1)} MiB** (target for the agent <= 80 MB: ${(peak + analysisPeak) / 1024 <= 80 ? 'met' : '**not met**'}). ` +
    `Dropped records over all agent runs: **${dropped}**${unreported ? ` (${unreported} runs without a report)` : ''} (target 0).`;
  const getppid = rows.find((r) => r.w.name === 'getppid_loop');
  const floorLine = getppid && floor.length
    ? `Kernel floor for the untraced syscall: the same getppid loop under a bare seccomp filter and no tracer runs at ` +
      `${fmtLoop(median(floor))} per call vs ${fmtLoop(median(getppid.samples.native.map((x) => x.value)))} without (speed ` +
      `${(median(getppid.samples.native.map((x) => x.value)) / median(floor)).toFixed(3)}): what any seccomp filter costs on this kernel.`
    : '';
  const cmd = `npm run bench${argv.length ? ' -- ' + argv.join(' ') : ''}`;
  const block = [
    `Machine: ${machine()}.`,
    `Command: \`${cmd}\` (${reps} repetitions, median of each; ${new Date().toISOString().slice(0, 10)}).${label ? ` Variant: ${label}.` : ''}`,
    '',
    md,
    '',
    ...(pairBlock ? [pairBlock] : []),
    'Ptrace stops per operation (agent: its exit summary; strace and the least any ptrace tracer needs: from the calls `strace -c` counts, see stopCounts in bench/run.ts); for the HTTP servers per request answered, the server\'s own start-up included:',
    '',
    stopLines.join('\n'),
    '',
    peakLine,
    ...(floorLine ? ['', floorLine] : []),
  ].join('\n');
  console.log(block);
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ label, summary, peakKb: peak, dropped, rows: rows.map((r) => ({ w: r.w.name, samples: r.samples })) }, null, 2));
  if (write && !only && !label) {
    const doc = join(root, 'docs', 'BENCHMARKS.md');
    const text = readFileSync(doc, 'utf8');
    const begin = '<!-- bench/run: results begin -->', end = '<!-- bench/run: results end -->';
    const a = text.indexOf(begin), b = text.indexOf(end);
    if (a < 0 || b < a) {
      console.error(`bench: ${doc} has no "${begin}" marker: not written`);
      return;
    }
    writeFileSync(doc, text.slice(0, a + begin.length) + '\n' + block + '\n' + text.slice(b));
    console.error(`bench: results written to ${doc}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
