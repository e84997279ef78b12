// Load benchmark of the reference orchestrator (docs/BENCHMARKS.md,
// "Orchestrator load"): N agents (orchestrator links spread over a few
// fake-agent processes to spare the cores) each raise R alerts/s for D
// seconds against one bin/orchestrator writing an alerts file (one
// fdatasync per batch before its acknowledgement). Verifies that
// every alert arrived exactly once and reports the orchestrator's CPU time
// (/proc/<pid>/stat utime+stime) and peak RSS (/proc/<pid>/status VmHWM).
//
//   node out/bench/orchestrator-load.js [--agents 200] [--rate 50] [--seconds 20] [--procs 4]
// Exit status 1 if any alert was lost or duplicated.

import { execa, type ResultPromise } from 'execa';
import { execSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const ROOT = new URL('../../', import.meta.url).pathname;
const { values } = parseArgs({
  options: { agents: { type: 'string', default: '200' }, rate: { type: 'string', default: '50' }, seconds: { type: 'string', default: '20' }, procs: { type: 'string', default: '4' } },
});
const AGENTS = Number(values.agents);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const PROCS = Math.min(Number(values.procs), AGENTS);
const KEY = 'bench-key';

const clk = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / clk; // utime, stime (fields 14, 15)
}
function statusKb(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function lines(p: ResultPromise, onLine: (l: Record<string, unknown>) => void): void {
  let buf = '';
  p.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const t = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        onLine(JSON.parse(t) as Record<string, unknown>);
      } catch {
        /* not JSON */
      }
    }
  });
}

const dir = mkdtempSync(join(tmpdir(), 'orch-load-'));
const rules = join(dir, 'rules.yaml');
writeFileSync(rules, '- rule: bench_rule\n  condition: evt.type = open\n  output: "bench (command=%proc.cmdline)"\n  priority: WARNING\n');
const alertsFile = join(dir, 'alerts.jsonl');

const orch = execa(process.execPath, [join(ROOT, 'bin', 'orchestrator'), '--host', '127.0.0.1', '--port', '0', '--access-key', KEY, '--rules-file', rules, '--alerts-file', alertsFile, '--no-alerts-stdout', '--heartbeat-ms', '5000'], {
  buffer: false,
  reject: false,
  stdin: 'ignore',
  env: { ORCHESTRATOR_LOG_LEVEL: 'info' },
});
const port = await new Promise<number>((resolve, reject) => {
  let buf = '';
  orch.stderr?.on('data', (d: Buffer) => {
    buf += d.toString();
    const m = /"port":(\d+)[^\n]*"msg":"orchestrator listening"/.exec(buf);
    if (m) resolve(Number(m[1]));
  });
  void orch.then(() => reject(new Error(`orchestrator exited: ${buf}`)));
});
const opid = orch.pid!;
console.log(`orchestrator pid ${opid} on port ${port}; ${AGENTS} agents x ${RATE} alerts/s x ${SECONDS} s in ${PROCS} processes; ${cpus().length} CPUs`);

const cpu0 = cpuSeconds(opid);
const t0 = Date.now();
let peakRss = 0;
const sampler = setInterval(() => {
  try {
    peakRss = Math.max(peakRss, statusKb(opid, 'VmRSS'));
  } catch {
    /* exited */
  }
}, 250);

const dones: Record<string, unknown>[] = [];
const agents: ResultPromise[] = [];
for (let p = 0; p < PROCS; p++) {
  const links = Math.floor(AGENTS / PROCS) + (p < AGENTS % PROCS ? 1 : 0);
  const a = execa(process.execPath, [join(ROOT, 'out', 'test', 'fixtures', 'fake-agent.js')], {
    buffer: false,
    reject: false,
    stdin: 'ignore',
    stderr: 'ignore',
    env: {
      SYSDIG_ORCHESTRATOR: '127.0.0.1',
      SYSDIG_ORCHESTRATOR_PORT: String(port),
      SYSDIG_ACCESS_KEY: KEY,
      SYSDIG_EXTRA_ARGS: '--no-orchestrator-tls', // loopback: TLS would measure the handshake, not the orchestrator
      FAKE_AGENT_LINKS: String(links),
      FAKE_AGENT_RATE: String(RATE),
      FAKE_AGENT_DURATION_MS: String(SECONDS * 1000),
      FAKE_AGENT_FLUSH_TIMEOUT_MS: '60000',
      FAKE_AGENT_LOG_LEVEL: 'warn',
    },
  });
  lines(a, (l) => {
    if (l.event === 'done') dones.push(l);
  });
  agents.push(a);
}
await Promise.all(agents);
const wall = (Date.now() - t0) / 1000;
const cpu = cpuSeconds(opid) - cpu0;
const hwm = statusKb(opid, 'VmHWM');
clearInterval(sampler);
const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).text();
orch.kill('SIGTERM');
await orch;

// Verify: per agent, sequences 1..raised exactly once.
const expected = new Map<string, number>();
let raised = 0;
let dropped = 0;
for (const d of dones) {
  raised += d.raised as number;
  for (const s of d.stats as { agentId: string; queued: number; dropped: number }[]) {
    expected.set(s.agentId, s.queued);
    dropped += s.dropped;
  }
}
const seen = new Map<string, Set<number>>();
let total = 0;
let dups = 0;
const rl = createInterface({ input: createReadStream(alertsFile, 'utf8'), crlfDelay: Infinity });
for await (const line of rl) {
  if (!line) continue;
  const a = (JSON.parse(line) as { agent: { id: string; seq: number } }).agent;
  total++;
  let s = seen.get(a.id);
  if (!s) seen.set(a.id, (s = new Set()));
  if (s.has(a.seq)) dups++;
  s.add(a.seq);
}
let missing = 0;
for (const [id, n] of expected) {
  const s = seen.get(id) ?? new Set<number>();
  for (let i = 1; i <= n; i++) if (!s.has(i)) missing++;
}
const result = {
  agents: AGENTS,
  agentProcesses: PROCS,
  ratePerAgent: RATE,
  seconds: SECONDS,
  agentsReporting: expected.size,
  raised,
  droppedByAgents: dropped,
  received: total,
  duplicates: dups,
  missing,
  wallSeconds: Number(wall.toFixed(1)),
  orchestratorCpuSeconds: Number(cpu.toFixed(2)),
  orchestratorCpuPercentOfOneCore: Number(((100 * cpu) / wall).toFixed(1)),
  orchestratorPeakRssMiB: Number((Math.max(peakRss, hwm) / 1024).toFixed(1)),
  alertsPerSecond: Math.round(total / wall),
  duplicatesSkippedByOrchestrator: Number(/orchestrator_alerts_duplicate_total (\d+)/.exec(metrics)?.[1] ?? NaN),
  alertBatches: Number(/orchestrator_alert_batches_total (\d+)/.exec(metrics)?.[1] ?? NaN),
  fileSyncs: Number(/orchestrator_alerts_file_syncs_total (\d+)/.exec(metrics)?.[1] ?? NaN),
};
console.log(JSON.stringify(result, null, 2));
const ok = expected.size === AGENTS && missing === 0 && dups === 0 && dropped === 0 && total === raised;
console.log(ok ? 'OK: every alert arrived exactly once' : 'FAIL: alerts lost or duplicated');
rmSync(dir, { recursive: true, force: true });
process.exit(ok ? 0 : 1);
