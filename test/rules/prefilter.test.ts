// The open pre-filter compiled from rules (src/rules/prefilter.ts): what it
// keeps, and when it must turn itself off.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadRuleFiles } from '../../src/rules/index.js';
import { execEntryNeeded, openPathFilter, type PathPattern } from '../../src/rules/prefilter.js';
import { SHARED_RULES } from '../helpers.js';
import { parseWithPositions } from '../../src/rules/yaml-positions.js';

function filterOf(yaml: string) {
  const { ruleset, results } = loadRuleFiles([{ name: 't.yaml', content: yaml }], { positions: parseWithPositions });
  assert.ok(ruleset, JSON.stringify(results));
  return openPathFilter(ruleset!.rules);
}
const rule = (name: string, condition: string, output = 'x %proc.name') =>
  `- rule: ${name}\n  desc: d\n  condition: ${condition}\n  output: ${output}\n  priority: WARNING\n`;
const has = (ps: PathPattern[] | null, kind: PathPattern['kind'], value: string) => !!ps?.some((p) => p.kind === kind && p.value === value);

test('path operators become patterns; a glob keeps its literal prefix', () => {
  const f = filterOf(
    rule('a', 'evt.type=openat and fd.name startswith /etc/ and proc.name=cat') +
      rule('b', 'evt.type=openat and fd.name in (/x/one, /x/two)') +
      rule('c', 'evt.type in (open, openat) and (fd.name endswith .pem or fd.name contains secret)') +
      rule('d', 'evt.type=openat and fd.name glob /proc/*/environ') +
      rule('e', 'evt.type=openat and fd.directory in (/var/log, /srv/) and fd.filename = x.conf') +
      rule('f', 'evt.type=openat and fd.name pmatch (/data, /backup)'),
  );
  const p = f.patterns;
  assert.ok(p, JSON.stringify(f.disabledBy));
  assert.ok(has(p, 'prefix', '/etc/'));
  assert.ok(has(p, 'exact', '/x/one') && has(p, 'exact', '/x/two'));
  assert.ok(has(p, 'suffix', '.pem') && has(p, 'contains', 'secret'));
  assert.ok(has(p, 'prefix', '/proc/'));
  // `and`: one operand's constraint is enough; the one with fewer patterns wins
  assert.ok(has(p, 'suffix', '/x.conf'));
  assert.ok(has(p, 'prefix', '/data') && has(p, 'prefix', '/backup'));
});

test('opens for writing only: evt.is_open_write in an `and` marks the patterns', () => {
  const f = filterOf(
    rule('w', 'evt.type in (open, openat, creat) and evt.is_open_write=true and fd.directory in (/usr/bin, /lib)') +
      rule('r', 'evt.type=openat and evt.is_open_read=true and fd.name=/etc/shadow'),
  );
  assert.equal(f.patterns, [
    { kind: 'prefix', value: '/usr/bin/', write: true },
    { kind: 'prefix', value: '/lib/', write: true },
    { kind: 'exact', value: '/etc/shadow' },
  ]);
  // `or` keeps the mark only when every branch writes
  const g = filterOf(rule('o', 'evt.type=openat and (evt.is_open_write=true or proc.name=x) and fd.name startswith /srv/'));
  assert.equal(g.patterns, [{ kind: 'prefix', value: '/srv/' }]);
});

test('an `and` keeps its tightest operand: exact names over a short prefix', () => {
  const f = filterOf(rule('s', 'evt.type=openat and fd.name startswith /etc and fd.name in (/etc/shadow, /etc/gshadow)'));
  assert.equal(f.patterns, [{ kind: 'exact', value: '/etc/shadow' }, { kind: 'exact', value: '/etc/gshadow' }]);
  // raw-path constraints count too (only clean absolute paths are skipped, where raw = fd.name)
  const g = filterOf(rule('t', "evt.type=openat and fd.name startswith / and fd.nameraw contains '/../'"));
  assert.equal(g.patterns, [{ kind: 'contains', value: '/../' }]);
});

test('a rule that may match any open turns the filter off, and says which', () => {
  const f = filterOf(rule('ok', 'evt.type=openat and fd.name=/etc/shadow') + rule('any', 'evt.type=openat and proc.name=tar'));
  assert.is(f.patterns, null);
  assert.equal(f.disabledBy, { rule: 'any', evtType: 'openat' });
  // a negated path constraint says nothing about the paths that can match
  assert.is(filterOf(rule('neg', 'evt.type=openat and not fd.name startswith /tmp')).patterns, null);
  // transformers and case-insensitive operators are not analysed
  assert.is(filterOf(rule('i', 'evt.type=openat and fd.name icontains passwd')).patterns, null);
});

test('branches that cannot be opens do not count; rules on other events without fd fields are ignored', () => {
  const f = filterOf(
    rule('mixed', '(evt.type=openat and fd.name=/etc/passwd) or (evt.type=execve and proc.name=nc)') +
      rule('exec', 'evt.type=execve and proc.name=sh'),
  );
  assert.equal(f.patterns, [{ kind: 'exact', value: '/etc/passwd' }]);
});

test('rules reading the fd table on other events: a socket type or a path keeps the filter, nothing turns it off', () => {
  const sock = filterOf(rule('r', 'evt.type=dup2 and fd.type in (ipv4, ipv6)', 'x %fd.name'));
  assert.equal(sock.patterns, []);
  const path = filterOf(rule('r', 'evt.type=dup2 and fd.name startswith /dev/tcp', 'x %fd.name'));
  assert.equal(path.patterns, [{ kind: 'prefix', value: '/dev/tcp' }]);
  const any = filterOf(rule('r', 'evt.type=dup2 and proc.name=sh', 'x %fd.name'));
  assert.is(any.patterns, null);
  assert.equal(any.disabledBy, { rule: 'r', evtType: 'dup2' });
  // fields over the whole fd table see every fd, on any event
  const whole = filterOf(rule('w', 'evt.type=execve and fd.types[1] in (ipv4, ipv6)'));
  assert.is(whole.patterns, null);
  assert.equal(whole.disabledBy, { rule: 'w', evtType: 'any (fd.types[1])' });
  assert.is(filterOf(rule('c', 'evt.type=execve and proc.fdopencount > 100')).patterns, null);
  // a file type is no constraint: the fd may be one a skipped open returned
  assert.is(filterOf(rule('r', 'evt.type=close and fd.typechar=f', 'x %fd.name')).patterns, null);
});

test('the upstream stable rules compile to a filter; stacked with incubating it is off (a tar rule reads any file)', () => {
  const read = (f: string) => ({ name: f, content: readFileSync(join(SHARED_RULES, f), 'utf8') });
  const stable = loadRuleFiles([read('falco_rules.yaml')], { positions: parseWithPositions }).ruleset!;
  const f = openPathFilter(stable.rules);
  assert.ok(f.patterns && f.patterns.length > 0);
  assert.ok(has(f.patterns, 'exact', '/etc/shadow'), 'sensitive files');
  assert.not.ok(has(f.patterns, 'prefix', '/etc/'), 'not every file under /etc (the loader reads /etc/ld.so.cache at every exec)');
  assert.ok(has(f.patterns, 'suffix', 'release_agent'));
  assert.not.ok(f.patterns!.some((p) => p.value === '/' || p.value === ''), 'not everything');
  const stacked = loadRuleFiles([read('falco_rules.yaml'), read('falco-incubating_rules.yaml')], { positions: parseWithPositions }).ruleset!;
  const g = openPathFilter(stacked.rules);
  assert.is(g.patterns, null);
  assert.is(g.disabledBy?.rule, 'Exfiltrating Artifacts via Kubernetes Control Plane');
});

function rulesOf(yaml: string) {
  const { ruleset, results } = loadRuleFiles([{ name: 't.yaml', content: yaml }], { positions: parseWithPositions });
  assert.ok(ruleset, JSON.stringify(results));
  return ruleset!.rules;
}

test('the exec entry stop: needed when a rule may match a failed exec or reads an entry argument, not otherwise', () => {
  const ok = rulesOf(rule('s', 'evt.type in (execve, execveat) and evt.res = SUCCESS and proc.name = sh') + rule('o', 'evt.type = openat and fd.name = /x'));
  assert.equal(execEntryNeeded(ok), { needed: false });
  for (const cond of ['evt.res = SUCCESS and proc.name = sh or proc.name = bash', 'evt.rawres >= 0', 'evt.failed = false', 'evt.arg.res = 0']) {
    const needed = !/or proc.name = bash/.test(cond);
    assert.is(execEntryNeeded(rulesOf(rule('r', `evt.type = execve and ${cond}`))).needed, !needed, cond);
  }
  assert.equal(execEntryNeeded(rulesOf(rule('any', 'evt.type = execve and proc.name = sh'))), { needed: true, rule: 'any' });
  assert.equal(execEntryNeeded(rulesOf(rule('arg', 'evt.type = execve and evt.res = SUCCESS and evt.arg.filename = /bin/sh'))), { needed: true, rule: 'arg' });
  // Upstream's spawned_process is evt.type in (execve, execveat): failed execs match it.
  const { ruleset } = loadRuleFiles([{ name: 'stable', content: readFileSync(join(SHARED_RULES, 'falco_rules.yaml'), 'utf8') }], { positions: parseWithPositions });
  assert.ok(execEntryNeeded(ruleset!.rules).needed);
  const ours = loadRuleFiles([{ name: 'default', content: readFileSync(join(SHARED_RULES, '..', 'default.yaml'), 'utf8') }], { positions: parseWithPositions }).ruleset!;
  assert.equal(execEntryNeeded(ours.rules), { needed: false }, 'the default rules only match successful execs');
});

test.run();
