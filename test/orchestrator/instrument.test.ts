// Issue 5 acceptance with REAL bin/instrument processes (real workloads under
// the ptrace tracer) and a real bin/orchestrator process: alert delivery,
// live rule updates (and the seccomp filter that cannot widen: degraded
// rules), invalid rule sets, a wrong access key, TLS with a self-signed
// certificate, an orchestrator SIGKILL + restart (exactly once), malformed
// frames from a scripted orchestrator.
// The agent's logs go to stderr (SYSDIG_LOG_PORT=1 via testEnv()).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { AGENT_PATH } from '../../src/alerts/protocol.js';
import { INSTRUMENT, SHARED_RULES, instrument, testEnv } from '../helpers.js';
import { readAlerts, sleep, startOrchestrator, startProc, stop, tempDir, until, type Line, type Orchestrator, type Proc, selfSignedCert } from '../fixtures/procs.js';

const KEY = 'instrument-test-key';
const STABLE = join(SHARED_RULES, 'falco_rules.yaml');
const PY = '/usr/bin/python3';

/**
 * The agent's environment: orchestrator address and key, logs to stderr at
 * info. Plaintext (the explicit --no-orchestrator-tls) for the loopback
 * orchestrators without TLS; `tls` leaves the agent's default, TLS.
 */
function agentEnv(port: number, extra: Record<string, string> = {}, tls = false): Record<string, string> {
  const env = testEnv({
    SYSDIG_ORCHESTRATOR: '127.0.0.1',
    SYSDIG_ORCHESTRATOR_PORT: String(port),
    SYSDIG_ACCESS_KEY: KEY,
    SYSDIG_LOGGING: 'info',
    ...extra,
  });
  if (!tls) env.SYSDIG_EXTRA_ARGS = `--no-orchestrator-tls ${env.SYSDIG_EXTRA_ARGS ?? ''}`.trim();
  return env;
}

/** JSON log lines out of a captured stderr. */
function lines(text: unknown): Line[] {
  const out: Line[] = [];
  for (const l of String(text ?? '').split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      out.push(JSON.parse(l) as Line);
    } catch {
      /* not a log line */
    }
  }
  return out;
}

const msgIs = (m: string) => (l: Line) => l.msg === m;
const fields = (a: Line) => a.output_fields as Record<string, unknown>;
const agentOf = (a: Line) => a.agent as { id: string; seq: number };

/** Replaces a rules file atomically (the orchestrator polls it and pushes the new set). */
function replaceRules(path: string, content: string): void {
  writeFileSync(path + '.tmp', content);
  renameSync(path + '.tmp', path);
}

/** Rule on /etc/shadow being opened: one alert per `cat /etc/shadow ...`. */
const SHADOW_RULE = `- rule: shadow_read
  desc: /etc/shadow opened
  condition: evt.type in (open, openat, openat2) and fd.name = /etc/shadow
  output: "shadow read (command=%proc.cmdline pid=%proc.pid)"
  priority: WARNING
  tags: [test]
`;

/** Opens of one file path; name and output parameterised. */
function openRule(name: string, path: string, output = 'open'): string {
  return `- rule: ${name}
  desc: ${name}
  condition: evt.type in (open, openat, openat2) and fd.name = "${path}"
  output: "${output} %fd.name (pid=%proc.pid command=%proc.cmdline)"
  priority: WARNING
`;
}

const MKDIR_RULE = `- rule: rule_mkdir
  desc: needs a syscall the running filter does not stop on
  condition: evt.type in (mkdir, mkdirat)
  output: "mkdir (path=%evt.arg.path pid=%proc.pid)"
  priority: NOTICE
`;

/**
 * A long-running workload in ONE process: opens DIR/target and creates
 * DIR/dirs/d-N every 100 ms until DIR/stop exists (exit 0), or 120 s passed (exit 9).
 */
const LOOP_PY = `
import os, sys, time
d = sys.argv[1]
with open(os.path.join(d, 'pid'), 'w') as f: f.write(str(os.getpid()))
os.mkdir(os.path.join(d, 'dirs'))
end = time.time() + 120
i = 0
while not os.path.exists(os.path.join(d, 'stop')):
    if time.time() > end: sys.exit(9)
    i += 1
    with open(os.path.join(d, 'target'), 'rb') as f: f.read()
    os.mkdir(os.path.join(d, 'dirs', 'd-%d' % i))
    time.sleep(0.1)
sys.exit(0)
`;

interface Loop {
  dir: string;
  rules: string;
  alertsFile: string;
  orch: Orchestrator;
  agent: Proc;
  pid: number;
}

/** An orchestrator serving `initialRules`, and the python loop under bin/instrument (security priority: it starts with the orchestrator's rules, its filter built from them). */
async function startLoop(initialRules: (dir: string) => string, orchArgs: string[] = []): Promise<Loop> {
  const dir = tempDir('inst-loop-');
  writeFileSync(join(dir, 'target'), 'x\n');
  writeFileSync(join(dir, 'loop.py'), LOOP_PY);
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, initialRules(dir));
  const alertsFile = join(dir, 'alerts.jsonl');
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', rules, '--alerts-file', alertsFile, ...orchArgs]);
  const agent = startProc(INSTRUMENT, [PY, join(dir, 'loop.py'), dir], agentEnv(orch.port, { SYSDIG_PRIORITY: 'security', SYSDIG_EXTRA_ARGS: '--security-wait-ms 30000' }), 'instrument');
  try {
    await agent.waitLog(msgIs('SYSDIG_PRIORITY=security: orchestrator rules arrived; starting the workload'), 40_000, 'rules before the workload');
    const pid = await until(() => existsSync(join(dir, 'pid')) && Number(readFileSync(join(dir, 'pid'), 'utf8')), 30_000, 'the workload pid');
    return { dir, rules, alertsFile, orch, agent, pid };
  } catch (e) {
    agent.kill('SIGKILL');
    orch.kill('SIGKILL');
    throw e;
  }
}

/** Stops the loop (stop file), checks the workload's exit code, stops the orchestrator. */
async function endLoop(l: Loop): Promise<void> {
  writeFileSync(join(l.dir, 'stop'), '');
  const t = setTimeout(() => l.agent.kill('SIGKILL'), 60_000);
  const code = await l.agent.exited;
  clearTimeout(t);
  await stop(l.orch);
  assert.is(code, 0, 'the workload ran to completion and its exit code came through');
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function metrics(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).text();
}

// ---------------------------------------------------------------------------

test('1. an alert raised by a real workload reaches the orchestrator with the rule name and output fields (stable Falco rules served by the orchestrator)', async () => {
  const dir = tempDir('inst-alert-');
  const alertsFile = join(dir, 'alerts.jsonl');
  const local = join(dir, 'local.jsonl');
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', STABLE, '--alerts-file', alertsFile]);
  try {
    // security: the workload starts once the orchestrator's rules are in force
    const r = await instrument(['cat', '/etc/shadow'], {
      env: agentEnv(orch.port, { SYSDIG_PRIORITY: 'security', SYSDIG_EXTRA_ARGS: `--alerts-file ${local} --security-wait-ms 30000` }),
      extendEnv: false,
      stdout: 'ignore',
      timeout: 90_000,
    });
    const logs = lines(r.stderr);
    assert.is(r.exitCode, 0, String(r.stderr).slice(-2000));
    assert.ok(logs.some(msgIs('SYSDIG_PRIORITY=security: orchestrator rules arrived; starting the workload')), 'rules arrived before the workload');
    const conn = logs.find(msgIs('connected to the orchestrator'));
    assert.ok(conn, 'connected log line');
    const agentId = String(conn!.agentId);

    const alerts = await readAlerts(alertsFile);
    const hits = alerts.filter((a) => a.rule === 'Read sensitive file untrusted');
    assert.is(hits.length, 1, `alerts: ${JSON.stringify(alerts.map((a) => a.rule))}`);
    assert.not.ok(alerts.some((a) => a.rule === 'Fargate credential file read'), 'the embedded default rules were replaced by the pushed set');
    const a = hits[0]!;
    assert.is(a.priority, 'Warning');
    assert.is(a.source, 'syscall');
    assert.match(String(a.output), /Warning Sensitive file opened for reading by non-trusted program \| file=\/etc\/shadow/);
    assert.is(fields(a)['proc.cmdline'], 'cat /etc/shadow');
    assert.is(fields(a)['proc.name'], 'cat');
    assert.is(fields(a)['fd.name'], '/etc/shadow');
    assert.is(fields(a)['user.name'], 'root');
    assert.ok('container.id' in fields(a));
    assert.is(agentOf(a).id, agentId);
    assert.is(agentOf(a).seq, 1 + alerts.indexOf(a));
    // The orchestrator's copy is the agent's alert, field for field (plus the agent envelope).
    const mine = readFileSync(local, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
    const { agent: _env, ...wire } = a;
    assert.equal(wire, mine.find((m) => m.rule === 'Read sensitive file untrusted'));
    assert.is(mine.length, alerts.length, 'every local alert reached the orchestrator');
    assert.ok(orch.logs.some((l) => l.msg === 'agent connected' && l.agentId === agentId));
    const done = logs.find(msgIs('workload exited'))!;
    assert.is(done.sink_orchestrator_dropped, 0);
  } finally {
    await stop(orch);
  }
});

test('2. a rule update pushed while the workload runs takes effect without restarting it; a rule on a syscall outside the running filter is reported degraded', async () => {
  // Initial set: a rule on openat that does not match the workload. Its open
  // pre-filter skips the workload's opens of the target, so rule_match firing
  // after the push also shows the pre-filter swapped with the rules.
  const l = await startLoop((dir) => openRule('rule_other', join(dir, 'not-this-file')));
  try {
    const v1 = await l.orch.waitLog((x) => x.msg === 'agent applied the rule set', 20_000, 'first set applied');
    await sleep(1000); // ~10 opens of the target: nothing matches yet
    assert.is((await readAlerts(l.alertsFile)).length, 0, 'the initial rules do not match the workload');

    replaceRules(l.rules, openRule('rule_other', join(l.dir, 'not-this-file')) + openRule('rule_match', join(l.dir, 'target'), 'MATCH'));
    const v2 = await l.orch.waitLog((x) => x.msg === 'agent applied the rule set' && x.version !== v1.version, 20_000, 'second set applied');
    const matched = await until(async () => {
      const a = (await readAlerts(l.alertsFile)).filter((x) => x.rule === 'rule_match');
      return a.length >= 5 ? a : undefined;
    }, 30_000, 'alerts of the pushed rule');
    for (const a of matched) {
      assert.is(fields(a)['proc.pid'], l.pid, 'raised by the same workload process');
      assert.is(fields(a)['fd.name'], join(l.dir, 'target'));
      assert.match(String(a.output), /MATCH /);
    }
    assert.ok(alive(l.pid), 'the workload process is still running');
    assert.is(l.agent.logs.filter(msgIs('workload started under the tracer')).length, 1, 'never restarted');
    assert.ok(l.agent.logs.some((x) => x.msg === 'rule set from the orchestrator in force' && x.version === v2.version));

    // A rule on mkdir/mkdirat: the filter was built from the initial set (openat), so it is degraded.
    replaceRules(l.rules, openRule('rule_match', join(l.dir, 'target'), 'MATCH') + MKDIR_RULE);
    const deg = await l.orch.waitLog((x) => x.msg === 'agent applied the rule set; some rules degraded', 20_000, 'degraded on the orchestrator');
    assert.equal(deg.degraded, ['rule_mkdir (mkdir, mkdirat)']);
    const agentDeg = await l.agent.waitLog(msgIs('rule set applied; some rules are degraded'), 10_000, 'degraded on the agent');
    assert.equal(agentDeg.degraded, ['rule_mkdir (mkdir, mkdirat)']);
    assert.is(agentDeg.version, deg.version);
    assert.ok(l.agent.logs.some((x) => typeof x.msg === 'string' && x.msg.startsWith('rules need syscalls the running seccomp filter does not stop on')));
    // The set is in force (rule_match keeps firing) while the workload keeps calling mkdir: rule_mkdir never fires.
    const dirsAt = readdirSync(join(l.dir, 'dirs')).length;
    const n = (await readAlerts(l.alertsFile)).length;
    await until(async () => (await readAlerts(l.alertsFile)).length >= n + 10, 30_000, 'alerts after the degraded set');
    assert.ok(readdirSync(join(l.dir, 'dirs')).length > dirsAt, 'the workload kept calling mkdir');
    const all = await readAlerts(l.alertsFile);
    assert.not.ok(all.some((a) => a.rule === 'rule_mkdir'), 'a degraded rule whose syscalls are all outside the filter does not fire');
    assert.ok(all.every((a) => fields(a)['proc.pid'] === l.pid));
    assert.match(await metrics(l.orch.port), /orchestrator_ruleset_accepted_total 3/);
    assert.ok(alive(l.pid));
  } finally {
    await endLoop(l).finally(() => (l.agent.kill('SIGKILL'), l.orch.kill('SIGKILL')));
  }
});

test('3. an invalid pushed rule set is rejected (agent log, orchestrator log and metrics) and the old rule keeps firing', async () => {
  // --no-precheck: the orchestrator pushes a set its own engine would refuse, to test the agent's side.
  const l = await startLoop((dir) => openRule('rule_match', join(dir, 'target'), 'OLD'), ['--no-precheck']);
  try {
    const v1 = await l.orch.waitLog((x) => x.msg === 'agent applied the rule set', 20_000, 'first set applied');
    await until(async () => (await readAlerts(l.alertsFile)).length >= 3, 30_000, 'alerts of the first set');

    // Valid YAML (the orchestrator pushes it, --no-precheck); a condition the agent's engine refuses.
    replaceRules(
      l.rules,
      openRule('rule_new', join(l.dir, 'target'), 'NEW') +
        `- rule: rule_broken
  desc: broken condition
  condition: evt.type in (openat and fd.name =
  output: "broken"
  priority: WARNING
`,
    );
    const rej = await l.orch.waitLog(msgIs('agent rejected the rule set; it keeps its previous one'), 20_000, 'rejection on the orchestrator');
    assert.is(rej.running, v1.version, 'the orchestrator sees the agent still on the first set');
    assert.ok((rej.errors as string[]).some((e) => e.includes('rule_broken')), JSON.stringify(rej.errors));
    const agentRej = await l.agent.waitLog(msgIs('pushed rule set rejected; the previous rules stay in force'), 10_000, 'rejection on the agent');
    assert.is(agentRej.version, rej.version);
    // The link logs its own line too; it may come after main's (wait for it, do not race it).
    await l.agent.waitLog((x) => x.msg === 'rule set rejected; the previous rule set stays in force' && x.level === 'error', 10_000, "the link's error line");
    assert.match(await metrics(l.orch.port), /orchestrator_ruleset_rejected_by_agents_total 1/);

    const n = (await readAlerts(l.alertsFile)).length;
    const later = await until(async () => {
      const a = await readAlerts(l.alertsFile);
      return a.length >= n + 10 ? a.slice(n) : undefined;
    }, 30_000, 'alerts after the rejected set');
    assert.ok(later.every((a) => a.rule === 'rule_match' && /^.*OLD /.test(String(a.output))), 'the old rule keeps firing');
    assert.not.ok((await readAlerts(l.alertsFile)).some((a) => a.rule === 'rule_new'));
    assert.ok(later.every((a) => fields(a)['proc.pid'] === l.pid));
    assert.ok(alive(l.pid));
  } finally {
    await endLoop(l).finally(() => (l.agent.kill('SIGKILL'), l.orch.kill('SIGKILL')));
  }
});

test('4b. ECS metadata with non-string labels (a numeric task revision): the real agent still connects, its hello coerced; the key is in no log line', async () => {
  const dir = tempDir('inst-ecs-');
  writeFileSync(join(dir, 'rules.yaml'), SHADOW_RULE);
  const meta = createServer((req, res) => {
    const body = req.url?.endsWith('/task')
      ? { Cluster: 'c1', Family: 'web' } // no Revision: the label is used
      : { DockerId: 'abcdef0123456789', Name: 'web', Image: 'nginx:1.27', Labels: { 'com.amazonaws.ecs.task-definition-version': 7, 'com.amazonaws.ecs.task-arn': 'arn:aws:ecs:eu-west-1:1:task/c1/x', 'odd.flag': true } };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => meta.listen(0, '127.0.0.1', r));
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', join(dir, 'rules.yaml'), '--alerts-file', join(dir, 'alerts.jsonl')]);
  try {
    const env = agentEnv(orch.port, { SYSDIG_PRIORITY: 'security', SYSDIG_EXTRA_ARGS: '--security-wait-ms 30000', ECS_CONTAINER_METADATA_URI_V4: `http://127.0.0.1:${(meta.address() as AddressInfo).port}/v4/x` });
    const r = await instrument(['sh', '-c', 'cat /etc/shadow > /dev/null; exit 4'], { env, extendEnv: false, timeout: 90_000 });
    assert.is(r.exitCode, 4);
    const logs = lines(r.stderr);
    assert.ok(logs.some(msgIs('SYSDIG_PRIORITY=security: orchestrator rules arrived; starting the workload')), 'connected and got the rules');
    const conn = await orch.waitLog((l) => l.msg === 'agent connected' && (l.task as Line | undefined)?.revision === '7', 20_000, 'hello with the coerced revision');
    assert.is((conn.task as Line).arn, 'arn:aws:ecs:eu-west-1:1:task/c1/x');
    await stop(orch);
    assert.not.ok(String(r.stderr).includes(KEY) || JSON.stringify(orch.logs).includes(KEY) || orch.raw.join('').includes(KEY), 'the key is in no log line');
  } finally {
    orch.kill('SIGKILL');
    meta.close();
  }
});

test('4. a wrong access key is refused with a clear log line at the default log level; the workload runs to completion with its exit code', async () => {
  const dir = tempDir('inst-key-');
  const alertsFile = join(dir, 'alerts.jsonl');
  writeFileSync(join(dir, 'rules.yaml'), SHADOW_RULE);
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', join(dir, 'rules.yaml'), '--alerts-file', alertsFile]);
  try {
    const env = agentEnv(orch.port, { SYSDIG_ACCESS_KEY: 'wrong-key-4f1e', SYSDIG_EXTRA_ARGS: `--rules-file ${join(dir, 'rules.yaml')}` });
    delete env.SYSDIG_LOGGING; // the default, minimal level: the refusal must still be visible
    const r = await instrument(['sh', '-c', 'cat /etc/shadow > /dev/null; sleep 2; echo "key=${SYSDIG_ACCESS_KEY:-unset}"; exit 7'], { env, extendEnv: false, timeout: 90_000 });
    assert.is(r.exitCode, 7, String(r.stderr).slice(-2000));
    assert.is(String(r.stdout).trim(), 'key=unset', 'the key is not in the workload environment');
    const logs = lines(r.stderr);
    const refused = logs.find(msgIs('orchestrator refused the access key (SYSDIG_ACCESS_KEY); will retry with backoff'));
    assert.ok(refused, `agent refusal log; stderr: ${String(r.stderr).slice(-1500)}`);
    assert.is(refused!.level, 'error');
    assert.not.ok(String(r.stderr).includes('wrong-key-4f1e'), 'the key is never logged');
    assert.ok(orch.logs.some(msgIs('agent refused: wrong access key')));
    assert.not.ok(JSON.stringify(orch.logs).includes('wrong-key-4f1e'));
    assert.is((await readAlerts(alertsFile)).length, 0, 'nothing delivered');
    assert.match(await metrics(orch.port), /orchestrator_auth_failures_total [1-9]/);
  } finally {
    await stop(orch);
  }
});

// ---------------------------------------------------------------------------
// 5. TLS with a self-signed certificate

let tlsDir = '';
let tlsOrch: Orchestrator | undefined;

async function tlsRun(tlsArgs: string): Promise<{ code: number | undefined; logs: Line[]; stderr: string; alerts: Line[]; agentId?: string }> {
  const env = agentEnv(tlsOrch!.port, {
    SYSDIG_PRIORITY: 'security',
    SYSDIG_EXTRA_ARGS: `--rules-file ${join(tlsDir, 'rules.yaml')} --security-wait-ms 4000 ${tlsArgs}`,
  }, true);
  const r = await instrument(['sh', '-c', 'cat /etc/shadow > /dev/null; exit 3'], { env, extendEnv: false, timeout: 90_000 });
  const logs = lines(r.stderr);
  const agentId = logs.find(msgIs('connected to the orchestrator'))?.agentId as string | undefined;
  const alerts = agentId ? (await readAlerts(join(tlsDir, 'alerts.jsonl'))).filter((a) => agentOf(a).id === agentId) : [];
  return { code: r.exitCode, logs, stderr: String(r.stderr), alerts, agentId };
}

test('5a. TLS: the self-signed CA given with --orchestrator-ca (TLS implied): connected over wss, rules pushed, alert delivered', async () => {
  tlsDir = tempDir('inst-tls-');
  await selfSignedCert(tlsDir);
  writeFileSync(join(tlsDir, 'rules.yaml'), SHADOW_RULE);
  tlsOrch = await startOrchestrator([
    '--port', '0', '--access-key', KEY, '--rules-file', join(tlsDir, 'rules.yaml'), '--alerts-file', join(tlsDir, 'alerts.jsonl'),
    '--tls-cert', join(tlsDir, 'cert.pem'), '--tls-key', join(tlsDir, 'key.pem'),
  ]);
  const r = await tlsRun(`--orchestrator-ca ${join(tlsDir, 'cert.pem')}`);
  assert.is(r.code, 3, r.stderr.slice(-2000));
  assert.ok(r.agentId, 'connected');
  assert.match(String(r.logs.find(msgIs('connected to the orchestrator'))!.url), /^wss:\/\//);
  assert.ok(r.logs.some(msgIs('SYSDIG_PRIORITY=security: orchestrator rules arrived; starting the workload')));
  assert.is(r.alerts.length, 1);
  assert.is(r.alerts[0]!.rule, 'shadow_read');
  assert.is(fields(r.alerts[0]!)['proc.cmdline'], 'cat /etc/shadow');
  assert.not.ok(r.logs.some((l) => typeof l.msg === 'string' && l.msg.includes('certificate checking is OFF')));
});

test('5b. TLS: certificate checking on and no CA: refused and logged; the workload still runs; the alert is not delivered and is counted as dropped', async () => {
  assert.ok(tlsOrch, 'the TLS orchestrator from 5a');
  const r = await tlsRun('--orchestrator-tls');
  assert.is(r.code, 3, r.stderr.slice(-2000));
  assert.is(r.agentId, undefined, 'never connected');
  const err = r.logs.find(msgIs('orchestrator connection error'));
  assert.ok(err, `TLS error logged; stderr: ${r.stderr.slice(-1500)}`);
  assert.match(String(err!.err), /self[- ]signed|certificate/i);
  const expired = r.logs.find((l) => typeof l.msg === 'string' && l.msg.includes('no rules from the orchestrator in time'));
  assert.ok(expired);
  // The default SYSDIG_LOGGING prints errors (and start-up lines): these three must show there.
  assert.equal([err!.level, expired!.level], ['error', 'error']);
  // The local rules still detect; the alert is reported as undelivered.
  assert.ok(r.logs.some((l) => l.name === 'alerts' && (l.alert as Line | undefined)?.rule === 'shadow_read'), 'alert raised locally');
  const lost = r.logs.find(msgIs('alerts not acknowledged by the orchestrator at exit; counted as dropped'));
  assert.ok(lost, 'undelivered alerts reported at exit');
  assert.is(lost!.level, 'error');
  assert.is(lost!.unacknowledged, 1);
  const done = r.logs.find(msgIs('workload exited'))!;
  assert.is(done.alerts, 1);
  assert.is(done.sink_orchestrator_dropped, 1);
  assert.is(done.sink_orchestrator_sent, 0);
  const all = await readAlerts(join(tlsDir, 'alerts.jsonl'));
  assert.is(all.length, 1, 'only the alert of 5a is in the orchestrator file');
});

test('5c. TLS: --no-check-certificate connects (with a warning) and delivers', async () => {
  assert.ok(tlsOrch, 'the TLS orchestrator from 5a');
  try {
    const r = await tlsRun('--orchestrator-tls --no-check-certificate');
    assert.is(r.code, 3, r.stderr.slice(-2000));
    assert.ok(r.agentId, 'connected');
    const warn = r.logs.find((l) => typeof l.msg === 'string' && l.msg.includes('certificate checking is OFF'));
    assert.ok(warn);
    assert.is(warn!.level, 'warn');
    assert.is(r.alerts.length, 1);
    assert.is(r.alerts[0]!.rule, 'shadow_read');
  } finally {
    if (tlsOrch) await stop(tlsOrch);
    tlsOrch = undefined;
  }
});

// ---------------------------------------------------------------------------

test('6. orchestrator SIGKILLed and restarted on the same port while the workload raises alerts: every alert arrives exactly once', async () => {
  const dir = tempDir('inst-restart-');
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, SHADOW_RULE);
  const alertsFile = join(dir, 'alerts.jsonl');
  const args = ['--access-key', KEY, '--rules-file', rules, '--alerts-file', alertsFile];
  const first = await startOrchestrator(['--port', '0', ...args]);
  const port = first.port;
  // One alert per iteration, each with its own cmdline; runs until DIR/release exists.
  const script = `i=0
while [ ! -e "$D/release" ] && [ $i -lt 1000 ]; do
  i=$((i+1))
  cat /etc/shadow "$D/marker-$i" > /dev/null 2>&1
  sleep 0.2
done
echo $i > "$D/count"`;
  const agent = startProc(INSTRUMENT, ['sh', '-c', script], { ...agentEnv(port, { SYSDIG_PRIORITY: 'security', SYSDIG_EXTRA_ARGS: '--security-wait-ms 30000' }), D: dir }, 'instrument');
  let second: Orchestrator | undefined;
  const raised = () => agent.logs.filter((l) => l.name === 'alerts' && (l.alert as Line | undefined)?.rule === 'shadow_read').length;
  try {
    const conn = await agent.waitLog(msgIs('connected to the orchestrator'), 40_000, 'connected');
    const agentId = String(conn.agentId);
    await until(async () => (await readAlerts(alertsFile)).length >= 5, 30_000, '5 alerts before the crash');
    first.kill('SIGKILL');
    await first.exited;
    const atKill = raised();
    await agent.waitLog(msgIs('orchestrator connection closed; reconnecting'), 20_000, 'the agent saw the connection drop');
    await until(() => raised() >= atKill + 5, 30_000, '5 alerts raised during the outage');
    const beforeRestart = (await readAlerts(alertsFile)).length;
    second = await startOrchestrator(['--port', String(port), ...args]);
    assert.ok(second.logs.some(msgIs('alerts journal recovered')), 'the restarted orchestrator read its journal');
    const again = await second.waitLog((l) => l.msg === 'agent connected' && l.agentId === agentId, 40_000, 'the agent reconnected');
    // The agent says it runs the orchestrator's version (docs/protocol.md, hello.ruleSetVersion): no second push.
    const served = first.logs.find(msgIs('rule set loaded'))!.version;
    assert.is(again.ruleSetVersion, served, 'the reconnecting agent reports the version it was pushed');
    await until(async () => (await readAlerts(alertsFile)).length > beforeRestart, 20_000, 'alerts raised during the outage delivered');
    writeFileSync(join(dir, 'release'), '');
    const t = setTimeout(() => agent.kill('SIGKILL'), 60_000);
    const code = await agent.exited;
    clearTimeout(t);
    assert.is(code, 0);

    const n = Number(readFileSync(join(dir, 'count'), 'utf8'));
    assert.ok(n >= 10 && n < 1000, `iterations: ${n}`);
    assert.is(raised(), n, 'one alert per iteration raised by the agent');
    const alerts = (await readAlerts(alertsFile)).filter((a) => agentOf(a).id === agentId);
    const cmdlines = alerts.map((a) => String(fields(a)['proc.cmdline']));
    const expected = Array.from({ length: n }, (_, i) => `cat /etc/shadow ${dir}/marker-${i + 1}`);
    assert.is(new Set(cmdlines).size, cmdlines.length, 'no alert twice');
    assert.equal([...cmdlines].sort(), [...expected].sort(), 'none missing');
    assert.equal(alerts.map((a) => agentOf(a).seq), Array.from({ length: n }, (_, i) => i + 1), 'sequences 1..N in order');
    assert.ok(agent.logs.filter(msgIs('connected to the orchestrator')).length >= 2, 'reconnected');
    assert.not.ok(second.logs.some(msgIs('rule set pushed to agent')), 'the same rule set is not pushed again after a reconnect');
    const done = agent.logs.find(msgIs('workload exited'))!;
    assert.is(done.sink_orchestrator_dropped, 0);
    assert.is(done.alerts, n);
  } finally {
    agent.kill('SIGKILL');
    first.kill('SIGKILL');
    if (second) await stop(second);
  }
});

test('7. malformed messages from the orchestrator are logged and ignored; the session goes on (scripted WebSocket server)', async () => {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, path: AGENT_PATH });
  const received: Line[] = [];
  let connections = 0;
  wss.on('connection', (ws) => {
    connections++;
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as Line;
      received.push(m);
      if (m.type === 'hello') {
        ws.send('this is not JSON');
        ws.send(JSON.stringify({ type: 'launch_missiles' }));
        ws.send(Buffer.from([0xff, 0xfe, 0x00]));
        ws.send(JSON.stringify({ type: 'welcome', protocol: 1, orchestratorVersion: 'script', ackedSeq: 0, ruleSetVersion: 'v-script', heartbeatMs: 1000 }));
        ws.send(JSON.stringify({ type: 'ruleset', version: 'v-script', files: [{ name: 'r.yaml' }] }));
        ws.send(JSON.stringify({ type: 'ack', seq: -4 }));
        ws.send(JSON.stringify({ type: 'ruleset', version: 'v-script', files: [{ name: 'r.yaml', content: SHADOW_RULE }] }));
      }
      if (m.type === 'alerts') {
        const n = (m.firstSeq as number) + (m.alerts as unknown[]).length - 1;
        ws.send('{"type":"ack"');
        ws.send(JSON.stringify({ type: 'ack', seq: n }));
      }
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as AddressInfo).port;
  try {
    const r = await instrument(['cat', '/etc/shadow'], {
      env: agentEnv(port, { SYSDIG_PRIORITY: 'security', SYSDIG_EXTRA_ARGS: '--security-wait-ms 30000' }),
      extendEnv: false,
      stdout: 'ignore',
      timeout: 90_000,
    });
    assert.is(r.exitCode, 0, String(r.stderr).slice(-2000));
    const logs = lines(r.stderr);
    const mal = logs.filter(msgIs('malformed message from the orchestrator ignored'));
    assert.ok(mal.length >= 6, `logged ${mal.length} malformed messages`);
    assert.ok(mal.some((l) => String(l.error).includes('not JSON')));
    assert.ok(mal.some((l) => String(l.error).includes('unknown message type')));
    assert.is(mal.every((l) => l.level === 'warn'), true);
    assert.ok(logs.some(msgIs('SYSDIG_PRIORITY=security: orchestrator rules arrived; starting the workload')));
    assert.ok(received.some((m) => m.type === 'ruleset_result' && m.ok === true && m.version === 'v-script'));
    const alerts = received.filter((m) => m.type === 'alerts').flatMap((m) => m.alerts as Line[]);
    assert.is(alerts.length, 1);
    assert.is(alerts[0]!.rule, 'shadow_read');
    assert.is(connections, 1, 'the connection was kept (no reconnect because of garbage)');
    const done = logs.find(msgIs('workload exited'))!;
    assert.is(done.sink_orchestrator_dropped, 0, 'the alert was acknowledged despite the malformed ack before it');
  } finally {
    for (const c of wss.clients) c.terminate();
    wss.close();
    http.close();
  }
});

test.after(async () => {
  if (tlsOrch) await stop(tlsOrch); // 5c stops it; this covers an early failure
});

test.run();
