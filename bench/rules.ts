// Rules engine throughput: the full upstream stable rule set (read from
// rules/upstream, or the path in argv[2]) over a realistic event mix
// of a containerised web service: mostly benign opens, execs and connects.
// Usage: node out/bench/rules.js [RULES.yaml] [--seconds N] [--all]
// Prints events/s (one core, one thread).

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { FdInfo, ProcessInfo, SyscallEvent } from '../src/events/model.js';
import { loadRuleFiles } from '../src/rules/index.js';

const { values, positionals } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, all: { type: 'boolean' } }, allowPositionals: true });
const seconds = Number(values.seconds);
const matching = values.all ? 'all' : 'first';
const file = positionals[0] ?? new URL('../../rules/upstream/falco_rules.yaml', import.meta.url).pathname;

const t0 = performance.now();
const { ruleset, results } = loadRuleFiles([{ name: file, content: readFileSync(file, 'utf8') }], { ruleMatching: matching });
const loadMs = performance.now() - t0;
if (!ruleset) {
  console.error(JSON.stringify(results, null, 2));
  process.exit(1);
}

const container = { id: '3ad7b26ded6d', name: 'web', imageRepository: 'example/web', imageTag: '1', privileged: false };
let pid = 10;
function proc(comm: string, parent?: ProcessInfo, args: string[] = []): ProcessInfo {
  return {
    pid: pid++, vpid: pid, sid: 1, vpgid: 1, comm, exe: comm, exepath: '/usr/bin/' + comm, args, cwd: '/app',
    uid: 1000, gid: 1000, euid: 1000, egid: 1000, user: { uid: 1000, name: 'app' }, group: { gid: 1000, name: 'app' },
    loginuid: -1, capEffective: 0n, capPermitted: 0n, capInheritable: 0n, tty: 0, startTs: 1_700_000_000_000_000_000n,
    exeFromMemfd: false, exeUpperLayer: false, exeWritable: false, parent, exited: false, fds: new Map(), container,
  };
}
const init = proc('tini');
const node = proc('node', init, ['server.js']);
const worker = proc('python3', init, ['worker.py']);
const nginx = proc('nginx', init, ['-g', 'daemon off;']);
const procs = [node, worker, nginx];

const files = [
  '/app/server.js', '/app/node_modules/express/lib/router/index.js', '/app/node_modules/debug/src/node.js',
  '/etc/hosts', '/etc/resolv.conf', '/etc/passwd', '/etc/ssl/certs/ca-certificates.crt', '/usr/lib/python3.11/json/__init__.py',
  '/proc/self/stat', '/sys/fs/cgroup/cpu.max', '/var/cache/nginx/x', '/usr/share/zoneinfo/UTC', '/tmp/upload-7', '/app/logs/out.log',
];
const O_WRONLY = 1, O_CREAT = 0o100, O_APPEND = 0o2000, O_CLOEXEC = 0o2000000;
let num = 0;
const ts = 1_700_000_100_000_000_000n;
function fileFd(name: string, n: number, flags: number): FdInfo {
  return { num: n, type: 'file', name, nameRaw: name, openFlags: flags };
}
const events: SyscallEvent[] = [];
for (let i = 0; i < 4000; i++) {
  const p = procs[i % procs.length]!;
  const r = (i * 2654435761) % 100;
  if (r < 55) {
    const name = files[i % files.length]!;
    const write = name.startsWith('/tmp') || name.endsWith('.log');
    const flags = write ? O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC : O_CLOEXEC;
    const failed = i % 17 === 0;
    const fd = failed ? -2 : 20 + (i % 50);
    events.push({ num: num++, ts, type: 'openat', tid: p.pid, res: fd, args: { fd, dirfd: -100, name, flags, mode: 0o644 }, proc: p, fd: fileFd(name, failed ? -1 : fd, flags) });
  } else if (r < 70) {
    const child = proc(['sh', 'node', 'git', 'python3', 'ls'][i % 5]!, p, ['-c', 'echo ok']);
    events.push({ num: num++, ts, type: 'execve', tid: child.pid, res: 0, args: { res: 0, exe: child.exe, args: child.args.join('\0'), filename: child.exepath }, proc: child });
  } else if (r < 90) {
    const ip = ['10.0.1.5', '52.94.1.1', '172.17.0.1', '127.0.0.1'][i % 4]!;
    const port = [5432, 443, 6379, 8080][i % 4]!;
    const fd: FdInfo = {
      num: 30, type: 'ipv4', name: `172.17.0.2:${40000 + (i % 1000)}->${ip}:${port}`,
      sock: { domain: 2, l4proto: 'tcp', clientIp: '172.17.0.2', clientPort: 40000 + (i % 1000), serverIp: ip, serverPort: port, isClient: true, connected: true },
    };
    events.push({ num: num++, ts, type: 'connect', tid: p.pid, res: i % 9 === 0 ? -115 : 0, args: { res: 0, fd: 30, tuple: fd.name }, proc: p, fd });
  } else if (r < 95) {
    events.push({ num: num++, ts, type: 'socket', tid: p.pid, res: 31, args: { fd: 31, domain: 2, type: 1, proto: 6 }, proc: p });
  } else {
    const fd = fileFd('/app/logs/out.log', 4, O_WRONLY);
    events.push({ num: num++, ts, type: 'dup2', tid: p.pid, res: 1, args: { res: 1, oldfd: 4, newfd: 1 }, proc: p, fd });
  }
}
const mix: Record<string, number> = {};
for (const e of events) mix[e.type] = (mix[e.type] ?? 0) + 1;

// Warm up, then measure in rounds of the whole event array.
let matches = 0;
for (let i = 0; i < 50; i++) for (const e of events) matches += ruleset.evaluate(e).length;
matches = 0;
let n = 0;
const start = performance.now();
const deadline = start + seconds * 1000;
while (performance.now() < deadline) {
  for (let i = 0; i < events.length; i++) matches += ruleset.evaluate(events[i]!).length;
  n += events.length;
}
const elapsed = (performance.now() - start) / 1000;
const rate = n / elapsed;
console.log(`rules: ${ruleset.rules.length} enabled (${file.split('/').pop()}), loaded in ${loadMs.toFixed(0)} ms, rule_matching=${matching}`);
console.log(`event mix: ${Object.entries(mix).map(([k, v]) => `${k} ${((100 * v) / events.length).toFixed(0)}%`).join(', ')}`);
console.log(`evaluated ${n} events in ${elapsed.toFixed(2)} s, ${ruleset.counters.evaluations} rule evaluations, ${matches} matches`);
console.log(`${Math.round(rate).toLocaleString('en-US')} events/s`);
