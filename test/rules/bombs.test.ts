// Rule files that used to take the agent down (issue 12): each is refused
// (or loaded) with a clear error, boundedly, and the workload still runs:
// in-process, through `agentctl validate`, at bin/instrument start-up and
// pushed by a real orchestrator.
import { execFileSync, spawnSync } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadRuleFiles, validateRuleSet } from '../../src/rules/index.js';
import { openPathFilter } from '../../src/rules/prefilter.js';
import { MAX_EXPANDED_NODES } from '../../src/rules/loader.js';
import { INSTRUMENT, ROOT, instrument, testEnv, tmp } from '../helpers.js';
import { readAlerts, startOrchestrator, startProc, stop, until, type Line } from '../fixtures/procs.js';
import { execve, proc } from './events.js';

const rule = (cond: string, name = 'r') => `- rule: ${name}\n  desc: d\n  condition: ${cond}\n  output: "o %proc.name"\n  priority: WARNING\n`;

/** m0 .. mN, each `(m{i-1} or m{i-1})`: 2^N checks once expanded. */
function doublingMacros(n: number): string {
  let s = '- macro: m0\n  condition: proc.name = a\n';
  for (let i = 1; i <= n; i++) s += `- macro: m${i}\n  condition: (m${i - 1} or m${i - 1})\n`;
  return s + rule(`evt.type = execve and m${n}`);
}
const MACRO_BOMB = doublingMacros(26);
const PARENS = rule(`evt.type = execve and ${'('.repeat(10_000)}proc.name = a${')'.repeat(10_000)}`);
const NOTS = (n: number) => rule(`evt.type = execve and ${'not '.repeat(n)}proc.name = a`);
function hugeList(n: number): string {
  const items: string[] = [];
  for (let i = 0; i < n; i++) items.push(`p${i}`);
  // the big list reaches the rule through another list (the nested expansion used to overflow the stack)
  return `- list: big\n  items: [${items.join(', ')}]\n- list: outer\n  items: [big]\n` + rule('evt.type = execve and (proc.name in (outer) or proc.name = x)');
}

const load = (content: string) => loadRuleFiles([{ name: 'bomb.yaml', content }]);
const firstError = (r: ReturnType<typeof load>) => r.results.flatMap((x) => x.errors)[0];

test('the macro bomb (26 doubling levels) is refused with LOAD_ERR_COMPILE_CONDITION, not expanded', () => {
  const r = load(MACRO_BOMB);
  assert.is(r.ruleset, undefined);
  const e = firstError(r)!;
  assert.is(e.code, 'LOAD_ERR_COMPILE_CONDITION');
  assert.match(e.message, /too complex/);
  assert.match(e.message, String(MAX_EXPANDED_NODES));
  // below the bound the same shape loads and matches
  const ok = load(doublingMacros(10));
  assert.ok(ok.ruleset);
  assert.is(ok.ruleset!.evaluate(execve(proc({ comm: 'a' }))).length, 1);
});

test('10k nested parentheses: refused past libsinsp parser depth limit, clearly', () => {
  const e = firstError(load(PARENS))!;
  assert.is(e.code, 'LOAD_ERR_COMPILE_CONDITION');
  assert.is(e.message, 'exceeded max depth limit of 100');
  // what libsinsp accepts (about 18 levels of parentheses around a check) we accept
  assert.ok(load(rule(`evt.type = execve and ${'('.repeat(18)}proc.name = a${')'.repeat(18)}`)).ruleset);
});

test('10k nots are read in a loop: the set loads and an even count cancels out', () => {
  const even = load(NOTS(10_000));
  assert.ok(even.ruleset, JSON.stringify(firstError(even)));
  assert.is(even.ruleset!.evaluate(execve(proc({ comm: 'a' }))).length, 1);
  const odd = load(NOTS(9_999));
  assert.is(odd.ruleset!.evaluate(execve(proc({ comm: 'a' }))).length, 0);
  assert.is(odd.ruleset!.evaluate(execve(proc({ comm: 'b' }))).length, 1);
});

test('a 130k-item list inside an or loads and matches', () => {
  const r = load(hugeList(130_000));
  assert.ok(r.ruleset, JSON.stringify(firstError(r)));
  assert.is(r.ruleset!.evaluate(execve(proc({ comm: 'p129999' }))).length, 1);
  assert.is(r.ruleset!.evaluate(execve(proc({ comm: 'q' }))).length, 0);
});

test('a 130k-item fd.name list inside an or: the open pre-filter is computed without overflowing the stack', () => {
  const items: string[] = [];
  for (let i = 0; i < 130_000; i++) items.push(`/data/f${i}`);
  const r = load(`- list: files\n  items: [${items.join(', ')}]\n` + rule('evt.type in (open, openat) and (fd.name in (files) or fd.name = /etc/x)'));
  assert.ok(r.ruleset, JSON.stringify(firstError(r)));
  const pf = openPathFilter(r.ruleset!.rules);
  assert.is(pf.patterns?.length, 130_001);
});

test('validateRuleSet (for the orchestrator) gives the same verdicts, as one-line errors', () => {
  const bad = validateRuleSet([{ name: 'bomb.yaml', content: MACRO_BOMB }]);
  assert.is(bad.ok, false);
  assert.match(bad.errors[0]!, /^bomb\.yaml: Condition too complex.*\(rule r\) \[LOAD_ERR_COMPILE_CONDITION\]$/);
  const good = validateRuleSet([{ name: 'ok.yaml', content: rule('evt.type = execve and proc.name = a') }]);
  assert.equal([good.ok, good.errors, good.rules], [true, [], 1]);
});

const dir = tmp('bombs-');
const agentctl = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'agentctl'), ...args], { encoding: 'utf8', cwd: ROOT, timeout: 120_000 });
const noStack = (s: string) => assert.not.match(s, /\n\s+at /, 'no stack trace');

test('agentctl validate: 39 doubling macros, 10k parentheses, 10k nots: a clear result, no stack trace', () => {
  for (const [name, content, ok] of [['m39.yaml', doublingMacros(39), false], ['parens.yaml', PARENS, false], ['nots.yaml', NOTS(10_000), true]] as const) {
    const f = join(dir, name);
    writeFileSync(f, content);
    const r = agentctl('validate', '--json', f);
    noStack(r.stderr + r.stdout);
    assert.is(r.status, ok ? 0 : 1, name + r.stderr);
    const res = (JSON.parse(r.stdout) as { falco_load_results: { errors: { code: string }[] }[] }).falco_load_results[0]!;
    if (!ok) assert.is(res.errors[0]!.code, 'LOAD_ERR_COMPILE_CONDITION', name);
  }
});

test('agentctl validate: /dev/zero and a FIFO are "not a regular file", at once', () => {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  for (const f of ['/dev/zero', fifo]) {
    const r = agentctl('validate', '--json', f);
    noStack(r.stderr);
    assert.is(r.status, 1);
    const e = (JSON.parse(r.stdout) as { falco_load_results: { errors: { code: string; message: string }[] }[] }).falco_load_results[0]!.errors[0]!;
    assert.is(e.code, 'LOAD_ERR_FILE_READ');
    assert.match(e.message, 'not a regular file');
  }
});

/** JSON log lines out of a captured stderr. */
function logLines(text: unknown): Line[] {
  return String(text ?? '').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
}

test('bin/instrument start-up with each bomb as --rules-file: the workload runs (exit code kept) and the log says why there are no rules', async () => {
  const fifo = join(dir, 'fifo2');
  execFileSync('mkfifo', [fifo]);
  const bomb = join(dir, 'bomb.yaml');
  writeFileSync(bomb, MACRO_BOMB);
  const parens = join(dir, 'parens-start.yaml');
  writeFileSync(parens, PARENS);
  for (const [file, why] of [[bomb, /too complex/], [parens, /exceeded max depth limit of 100/], ['/dev/zero', /not a regular file/], [fifo, /not a regular file/]] as const) {
    const r = await instrument(['/bin/sh', '-c', 'echo workload-ran; exit 7'], { env: testEnv({ SYSDIG_LOGGING: 'info', SYSDIG_EXTRA_ARGS: `--rules-file ${file}` }) });
    assert.is(r.exitCode, 7, `${file}: ${String(r.stderr).slice(-2000)}`);
    assert.match(String(r.stdout), 'workload-ran');
    noStack(String(r.stderr));
    const logs = logLines(r.stderr);
    assert.ok(logs.some((l) => l.level === 'error' && why.test(JSON.stringify(l))), `${file}: the reason is logged`);
    assert.ok(logs.some((l) => l.level === 'error' && /without detection/.test(String(l.msg))), `${file}: the consequence is logged`);
  }
});

test('bin/instrument start-up with a 130k-item fd.name list inside an or: rules load, the pre-filter is computed, the workload runs', async () => {
  const items: string[] = [];
  for (let i = 0; i < 130_000; i++) items.push(`/data/f${i}`);
  const file = join(dir, 'biglist-start.yaml');
  writeFileSync(file, `- list: files\n  items: [${items.join(', ')}]\n` + rule('evt.type in (open, openat) and (fd.name in (files) or fd.name = /etc/x)'));
  const r = await instrument(['/bin/sh', '-c', 'echo workload-ran; exit 7'], { env: testEnv({ SYSDIG_LOGGING: 'info', SYSDIG_EXTRA_ARGS: `--rules-file ${file}` }) });
  assert.is(r.exitCode, 7, String(r.stderr).slice(-2000));
  noStack(String(r.stderr));
  const logs = logLines(r.stderr);
  assert.ok(logs.some((l) => l.msg === 'rules loaded' && l.rules === 1), 'rules loaded');
  assert.not.ok(logs.some((l) => l.level === 'error'), 'no error');
});

test('pushed by a real orchestrator: the macro bomb and 10k parentheses are rejected, the previous rule keeps firing', async () => {
  const KEY = 'bombs-key';
  const d = tmp('bombs-push-');
  writeFileSync(join(d, 'target'), 'x\n');
  // One long-running process opening DIR/target every 100 ms until DIR/stop exists.
  writeFileSync(join(d, 'loop.py'), `
import os, sys, time
d = sys.argv[1]
end = time.time() + 120
while not os.path.exists(os.path.join(d, 'stop')):
    if time.time() > end: sys.exit(9)
    with open(os.path.join(d, 'target'), 'rb') as f: f.read()
    time.sleep(0.1)
`);
  const good = `- rule: old_rule\n  desc: d\n  condition: evt.type in (open, openat, openat2) and fd.name = "${join(d, 'target')}"\n  output: "OLD %fd.name"\n  priority: WARNING\n`;
  const rules = join(d, 'rules.yaml');
  writeFileSync(rules, good);
  const alertsFile = join(d, 'alerts.jsonl');
  // --no-precheck: the orchestrator would refuse to serve the bombs itself
  // (test/orchestrator/hardening.test.ts); here the agent is the one that must.
  const orch = await startOrchestrator(['--port', '0', '--access-key', KEY, '--rules-file', rules, '--alerts-file', alertsFile, '--no-precheck']);
  const env = testEnv({
    SYSDIG_ORCHESTRATOR: '127.0.0.1', SYSDIG_ORCHESTRATOR_PORT: String(orch.port), SYSDIG_ACCESS_KEY: KEY, SYSDIG_LOGGING: 'info',
    SYSDIG_PRIORITY: 'security', SYSDIG_EXTRA_ARGS: '--security-wait-ms 30000 --no-orchestrator-tls',
  });
  const agent = startProc(INSTRUMENT, ['/usr/bin/python3', join(d, 'loop.py'), d], env, 'instrument');
  try {
    await orch.waitLog((x) => x.msg === 'agent applied the rule set', 40_000, 'first set applied');
    for (const bomb of [MACRO_BOMB, PARENS]) {
      const rejectedBefore = agent.logs.filter((x) => x.msg === 'pushed rule set rejected; the previous rules stay in force').length;
      writeFileSync(rules + '.tmp', good + bomb);
      renameSync(rules + '.tmp', rules);
      const rej = await agent.waitLog(
        (x) => x.msg === 'pushed rule set rejected; the previous rules stay in force' && agent.logs.filter((y) => y.msg === x.msg).length > rejectedBefore,
        40_000,
        'rejection on the agent',
      );
      assert.match(JSON.stringify(rej.errors), /LOAD_ERR_COMPILE_CONDITION/);
      const n = (await readAlerts(alertsFile)).length;
      const later = await until(async () => {
        const a = await readAlerts(alertsFile);
        return a.length >= n + 3 ? a.slice(n) : undefined;
      }, 30_000, 'alerts after the rejected set');
      assert.ok(later.every((a) => a.rule === 'old_rule'), 'the previous rule keeps firing');
    }
  } finally {
    writeFileSync(join(d, 'stop'), '');
    const t = setTimeout(() => agent.kill('SIGKILL'), 60_000);
    const code = await agent.exited;
    clearTimeout(t);
    await stop(orch);
    assert.is(code, 0, 'the workload ran to completion');
  }
});

test.run();
