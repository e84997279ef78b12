// Loader: upstream files, every error/warning code, append/override
// ordering, list substitution, exceptions, priorities, positions.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { asString, loadRuleFiles, type FileLoadResult } from '../../src/rules/index.js';
import { exceptionsText } from '../../src/rules/loader.js';
import { execve, openat, proc, RULES_DIR } from './events.js';
import { parseWithPositions } from '../../src/rules/yaml-positions.js';

const upstream = (n: string) => ({ name: n, content: readFileSync(new URL(n, RULES_DIR), 'utf8') });
const STABLE = 'falco_rules.yaml';
const INCUBATING = 'falco-incubating_rules.yaml';
const SANDBOX = 'falco-sandbox_rules.yaml';

function load(...contents: string[]) {
  return loadRuleFiles(contents.map((c, i) => ({ name: `f${i}.yaml`, content: c })), { positions: parseWithPositions });
}
function codes(results: FileLoadResult[], kind: 'errors' | 'warnings'): string[] {
  return results.flatMap((r) => r[kind].map((m) => m.code));
}
function errorOf(results: FileLoadResult[]) {
  const e = results.flatMap((r) => r.errors)[0];
  assert.ok(e, 'expected an error');
  return e!;
}
const rule = (name: string, cond: string, extra = '') =>
  `- rule: ${name}\n  desc: d\n  condition: ${cond}\n  output: "out %proc.name"\n  priority: WARNING\n${extra}`;
const condOf = (r: ReturnType<typeof load>, name: string) => r.ruleset!.rules.find((x) => x.name === name)!.compiledCondition;

test('the three upstream files load alone and stacked without errors', () => {
  for (const set of [[STABLE], [INCUBATING], [SANDBOX], [STABLE, INCUBATING], [STABLE, INCUBATING, SANDBOX]]) {
    const { ruleset, results } = loadRuleFiles(set.map(upstream), { positions: parseWithPositions });
    assert.equal(codes(results, 'errors'), [], set.join('+'));
    assert.ok(ruleset, set.join('+'));
    assert.ok(results.every((r) => r.successful));
  }
  const all = loadRuleFiles([STABLE, INCUBATING, SANDBOX].map(upstream), { positions: parseWithPositions }).ruleset!;
  assert.ok(all.rules.length > 60);
  const types = all.eventTypes();
  assert.ok(types !== 'all' && types.has('execve') && types.has('openat') && types.has('ptrace'));
});

test('LOAD_ERR_YAML_PARSE with a position', () => {
  const { ruleset, results } = load('- rule: x\n  desc: [unclosed\n');
  assert.is(ruleset, undefined);
  const e = errorOf(results);
  assert.is(e.code, 'LOAD_ERR_YAML_PARSE');
  assert.is(e.codedesc, 'YAML parse error');
  assert.is(e.context.locations[0]!.position.name, 'f0.yaml');
  // Falco's first location is the whole file at 0:0; the error's own comes after, 0-based.
  assert.equal(e.context.locations[0]!.position, { name: 'f0.yaml', line: 0, column: 0, offset: 0 });
  assert.ok(e.context.locations.at(-1)!.position.line >= 1);
  assert.not.ok(results[0]!.successful);
});

test('LOAD_ERR_YAML_VALIDATE: not an array, not objects, missing keys', () => {
  assert.is(errorOf(load('just a string').results).message, 'Rules content is not yaml');
  assert.is(errorOf(load('a: 1').results).message, 'Rules content is not yaml array of objects');
  assert.is(errorOf(load('- 42').results).code, 'LOAD_ERR_YAML_VALIDATE');
  const e = errorOf(load('- rule: x\n  desc: d\n  output: o\n  priority: INFO\n').results);
  assert.is(e.code, 'LOAD_ERR_YAML_VALIDATE');
  assert.match(e.message, /condition/);
  assert.is(e.context.locations[1]!.item_type, 'rule');
  assert.is(e.context.locations[1]!.item_name, 'x');
  assert.is(errorOf(load('- list: l\n').results).code, 'LOAD_ERR_YAML_VALIDATE');
});

test('LOAD_ERR_VALIDATE: engine version, priority, undefined macro, append to missing, append+override', () => {
  assert.is(errorOf(load('- required_engine_version: 9999').results).code, 'LOAD_ERR_VALIDATE');
  assert.is(errorOf(load('- required_engine_version: 1.0.0').results).code, 'LOAD_ERR_VALIDATE');
  assert.equal(codes(load('- required_engine_version: 10').results, 'errors'), []);
  assert.equal(codes(load('- required_engine_version: 0.57.0').results, 'errors'), []);
  assert.match(errorOf(load(rule('r', 'proc.name=a').replace('WARNING', 'LOUD')).results).message, /priority/);
  const undef = errorOf(load(rule('r', 'spawned and proc.name=a')).results);
  assert.is(undef.code, 'LOAD_ERR_VALIDATE');
  assert.is(undef.message, "Undefined macro 'spawned' used in filter.");
  assert.is(errorOf(load('- list: l\n  items: [a]\n  append: true\n').results).code, 'LOAD_ERR_VALIDATE');
  assert.is(errorOf(load('- macro: m\n  condition: proc.name=a\n  override:\n    condition: append\n').results).code, 'LOAD_ERR_VALIDATE');
  assert.is(errorOf(load('- rule: r\n  condition: and x\n  append: true\n').results).code, 'LOAD_ERR_VALIDATE');
  const both = load('- macro: m\n  condition: proc.name=a\n', '- macro: m\n  condition: or proc.name=b\n  append: true\n  override:\n    condition: append\n');
  assert.match(errorOf(both.results).message, /cannot be used together/);
  assert.is(errorOf(both.results).context.locations[0]!.position.name, 'f1.yaml');
  assert.is(errorOf(load('- required_plugin_versions:\n    - name: k8saudit\n      version: 0.1.0\n').results).code, 'LOAD_ERR_VALIDATE');
  assert.equal(codes(load('- required_plugin_versions:\n    - name: container\n      version: 0.4.0\n').results, 'errors'), []);
});

test('a macro sees only macros defined before it; rules see all', () => {
  const before = load('- macro: a\n  condition: b\n- macro: b\n  condition: proc.name=x\n' + rule('r', 'b'));
  assert.is(errorOf(before.results).message, "Undefined macro 'b' used in filter.");
  const ok = load('- macro: b\n  condition: proc.name=x\n- macro: a\n  condition: b and evt.type=execve\n' + rule('r', 'a'));
  assert.equal(codes(ok.results, 'errors'), []);
  assert.is(asString(ok.ruleset!.rules[0]!.tree), '(proc.name = x and evt.type = execve)');
  const self = load('- macro: a\n  condition: a or proc.name=x\n' + rule('r', 'a'));
  assert.is(errorOf(self.results).code, 'LOAD_ERR_VALIDATE');
});

test('LOAD_ERR_COMPILE_CONDITION: syntax and unknown field, with the condition position', () => {
  const syn = errorOf(load(rule('r', 'proc.name = = a')).results);
  assert.is(syn.code, 'LOAD_ERR_COMPILE_CONDITION');
  assert.is(syn.context.locations[2]!.item_type, 'condition expression');
  // Falco adds the parser's 1-based line to the condition's 0-based one
  assert.is(syn.context.locations[2]!.position.line, 3);
  const unk = errorOf(load(rule('r', 'evt.type=open and proc.nope = a')).results);
  assert.is(unk.code, 'LOAD_ERR_COMPILE_CONDITION');
  assert.is(unk.message, 'filter_check called with nonexistent field proc.nope');
  assert.is(errorOf(load('- macro: m\n  condition: (proc.name = \n' + rule('r', 'm')).results).code, 'LOAD_ERR_COMPILE_CONDITION');
  assert.is(errorOf(load(rule('r', 'fd.num = abc')).results).code, 'LOAD_ERR_COMPILE_CONDITION');
});

test('disabled rules are still compiled', () => {
  const r = load(rule('r', 'proc.nope = a', '  enabled: false\n'));
  assert.is(errorOf(r.results).code, 'LOAD_ERR_COMPILE_CONDITION');
});

test('LOAD_ERR_COMPILE_OUTPUT', () => {
  const r = load('- rule: r\n  desc: d\n  condition: evt.type=open\n  output: "x %proc.nope"\n  priority: INFO\n');
  const e = errorOf(r.results);
  assert.is(e.code, 'LOAD_ERR_COMPILE_OUTPUT');
  assert.is(e.codedesc, 'Error compiling output');
});

test('LOAD_UNKNOWN_FILTER with skip-if-unknown-filter', () => {
  const r = load(rule('r', 'evt.type=open and proc.nope = a', '  skip-if-unknown-filter: true\n') + rule('s', 'evt.type=open'));
  assert.equal(codes(r.results, 'errors'), []);
  assert.ok(codes(r.results, 'warnings').includes('LOAD_UNKNOWN_FILTER'));
  assert.equal(r.ruleset!.rules.map((x) => x.name), ['s']);
});

test('LOAD_NO_EVTTYPE unless warn_evttypes: false', () => {
  const r = load(rule('r', 'proc.name = a'));
  assert.equal(codes(r.results, 'warnings'), ['LOAD_NO_EVTTYPE']);
  assert.is(r.ruleset!.eventTypes(), 'all');
  assert.equal(codes(load(rule('r', 'proc.name = a', '  warn_evttypes: false\n')).results, 'warnings'), []);
  assert.equal(codes(load(rule('r', 'not evt.type = open')).results, 'warnings'), ['LOAD_NO_EVTTYPE']);
  assert.equal(codes(load(rule('r', 'evt.type = open')).results, 'warnings'), []);
});

test('LOAD_UNKNOWN_KEY, LOAD_UNKNOWN_ITEM, LOAD_UNKNOWN_SOURCE, unused macro/list, append with no values, duplicate exception names', () => {
  const r = load(
    rule('r', 'evt.type=open', '  colour: red\n') +
      '- something: else\n' +
      '- rule: k\n  desc: d\n  condition: ka.verb=get\n  output: o\n  priority: INFO\n  source: k8s_audit\n' +
      '- macro: unused_m\n  condition: proc.name=a\n' +
      '- list: unused_l\n  items: [a]\n' +
      '- list: unused_l\n  items: []\n  override:\n    items: append\n' +
      rule('e', 'evt.type=open', '  exceptions:\n    - name: x\n      fields: proc.name\n    - name: x\n      fields: proc.name\n'),
  );
  assert.equal(codes(r.results, 'errors'), []);
  const w = codes(r.results, 'warnings');
  for (const c of ['LOAD_UNKNOWN_KEY', 'LOAD_UNKNOWN_ITEM', 'LOAD_UNKNOWN_SOURCE', 'LOAD_UNUSED_MACRO', 'LOAD_UNUSED_LIST', 'LOAD_APPEND_NO_VALUES', 'LOAD_EXCEPTION_NAME_NOT_UNIQUE']) {
    assert.ok(w.includes(c), `missing ${c} in ${w.join(',')}`);
  }
  const key = r.results[0]!.warnings.find((m) => m.code === 'LOAD_UNKNOWN_KEY')!;
  assert.is(key.context.locations[1]!.item_name, 'r');
  assert.is(key.context.locations[1]!.position.line, 5);
  assert.equal(r.ruleset!.rules.map((x) => x.name), ['r', 'e']);
});

test('append and override: text concatenation with one space, order and position kept', () => {
  const base = '- list: l\n  items: [a, b]\n- macro: m\n  condition: proc.name in (l)\n' + rule('r1', 'evt.type=execve and m') + rule('r2', 'evt.type=open');
  const r = load(
    base,
    '- list: l\n  items: [c]\n  append: true\n' +
      '- macro: m\n  condition: or proc.name = d\n  override:\n    condition: append\n' +
      '- rule: r1\n  condition: and user.uid = 0\n  output: "more"\n  override:\n    condition: append\n    output: append\n' +
      '- rule: r1\n  priority: ERROR\n  tags: [t2]\n  override:\n    priority: replace\n    tags: append\n' +
      '- rule: r2\n  condition: evt.type=openat\n  override:\n    condition: replace\n' +
      rule('r1b', 'evt.type=open'),
  );
  assert.equal(codes(r.results, 'errors'), []);
  const rs = r.ruleset!;
  assert.equal(rs.rules.map((x) => x.name), ['r1', 'r2', 'r1b']);
  const r1 = rs.rules[0]!;
  assert.is(r1.condition, 'evt.type=execve and m and user.uid = 0');
  assert.is(r1.outputFormat, 'out %proc.name more');
  assert.is(r1.priority, 'Error');
  assert.is(asString(r1.tree), '(evt.type = execve and (proc.name in (a, b, c) or proc.name = d) and user.uid = 0)');
  assert.is(rs.rules[1]!.condition, 'evt.type=openat');
  // redefinition without append/override replaces and keeps the position
  const re = load(rule('a', 'evt.type=open') + rule('b', 'evt.type=open') + rule('a', 'evt.type=execve'));
  assert.equal(re.ruleset!.rules.map((x) => `${x.name}:${x.condition}`), ['a:evt.type=execve', 'b:evt.type=open']);
  // legacy append: true
  const legacy = load(rule('a', 'evt.type=open'), '- rule: a\n  condition: and proc.name=x\n  append: true\n');
  assert.is(legacy.ruleset!.rules[0]!.condition, 'evt.type=open and proc.name=x');
  // enabled-only item toggles
  const off = load(rule('a', 'evt.type=open') + rule('b', 'evt.type=open'), '- rule: a\n  enabled: false\n');
  assert.equal(off.ruleset!.rules.map((x) => x.name), ['b']);
  // override of a key absent from the item is an error
  assert.is(errorOf(load(rule('a', 'evt.type=open'), '- rule: a\n  override:\n    condition: append\n').results).code, 'LOAD_ERR_VALIDATE');
});

test('lists resolve on the tree: whole names in list values, quoted items, nested lists, empty lists', () => {
  const names = (r: ReturnType<typeof load>, n: string) => asString(r.ruleset!.rules.find((x) => x.name === n)!.tree);
  const base = '- list: shells\n  items: [bash, sh]\n';
  const ok = load(base + rule('a', 'evt.type=execve and proc.name in (shells)') + rule('b', 'evt.type=execve and proc.name in (myshells, shells_x)') + rule('c', 'evt.type=execve and proc.name in shells'));
  assert.equal(codes(ok.results, 'errors'), []);
  assert.match(names(ok, 'a'), 'proc.name in (bash, sh)');
  assert.match(names(ok, 'b'), 'proc.name in (myshells, shells_x)');
  assert.match(names(ok, 'c'), 'proc.name in (bash, sh)');
  // A list name where a value is expected is a plain string, as in Falco.
  const eq = load(base + rule('a', 'evt.type=execve and proc.name = shells'));
  assert.match(names(eq, 'a'), 'proc.name = shells');
  // A bare name after a list operator must be a list.
  assert.is(errorOf(load(rule('a', 'evt.type=execve and proc.name in nosuchlist')).results).code, 'LOAD_ERR_COMPILE_CONDITION');
  const r = load(
    "- list: inner\n  items: [a, '\"b c\"']\n- list: outer\n  items: [inner, d]\n- list: empty\n  items: []\n" +
      rule('r', 'evt.type=execve and proc.name in (outer, empty) and not proc.pname in (empty)'),
  );
  assert.equal(codes(r.results, 'errors'), []);
  assert.match(asString(r.ruleset!.rules[0]!.tree), 'proc.name in (a, "b c", d) and not proc.pname in ()');
  const rs = r.ruleset!;
  assert.is(rs.evaluate(execve(proc({ comm: 'b c' }))).length, 1);
  assert.is(rs.evaluate(execve(proc({ comm: 'd' }))).length, 1);
  assert.is(rs.evaluate(execve(proc({ comm: 'b' }))).length, 0);
});

test('exceptions compile to text and filter events', () => {
  const r = load(
    '- list: allowed\n  items: [cat, less]\n' +
      rule(
        'r',
        'evt.type=openat and fd.name startswith /etc',
        '  exceptions:\n' +
          '    - name: proc_file\n      fields: [proc.name, fd.name]\n      comps: [=, startswith]\n      values:\n        - [vi, /etc/hosts]\n        - ["my prog", /etc/x y]\n' +
          '    - name: names\n      fields: proc.name\n      values: [allowed, sed]\n' +
          '    - name: dirs\n      fields: [fd.directory]\n      comps: [in]\n      values:\n        - [[/etc/ssl, /etc/pki]]\n' +
          '    - name: empty\n      fields: [proc.name]\n',
      ),
  );
  assert.equal(codes(r.results, 'errors'), []);
  assert.is(
    condOf(r, 'r'),
    '(evt.type=openat and fd.name startswith /etc) and not ((proc.name = vi and fd.name startswith /etc/hosts) or (proc.name = "my prog" and fd.name startswith "/etc/x y") or proc.name in (allowed, sed) or fd.directory in (/etc/ssl, /etc/pki))',
  );
  const rs = r.ruleset!;
  const fire = (comm: string, path: string) => rs.evaluate(openat(proc({ comm }), path)).length === 1;
  assert.ok(fire('python', '/etc/shadow'));
  assert.not.ok(fire('vi', '/etc/hosts'));
  assert.ok(fire('vi', '/etc/shadow'));
  assert.not.ok(fire('cat', '/etc/shadow'));
  assert.not.ok(fire('sed', '/etc/shadow'));
  assert.not.ok(fire('python', '/etc/ssl/cert.pem'));
  // exceptions appended by a later file
  const r2 = load(
    rule('r', 'evt.type=openat', '  exceptions:\n    - name: n\n      fields: proc.name\n      values: [a]\n'),
    '- rule: r\n  exceptions:\n    - name: n\n      values: [b]\n    - name: m\n      fields: [fd.name]\n      values: [[/x]]\n  override:\n    exceptions: append\n',
  );
  assert.equal(codes(r2.results, 'errors'), []);
  assert.is(condOf(r2, 'r'), '(evt.type=openat) and not (proc.name in (a, b) or fd.name = /x)');
});

test('exception validation errors', () => {
  const ex = (body: string) => errorOf(load(rule('r', 'evt.type=open', '  exceptions:\n' + body)).results);
  assert.is(ex('    - name: e\n      fields: [proc.name, fd.name]\n      comps: [=]\n').code, 'LOAD_ERR_VALIDATE');
  assert.is(ex('    - name: e\n      fields: [proc.name]\n      values:\n        - [a, b]\n').code, 'LOAD_ERR_VALIDATE');
  assert.is(ex('    - name: e\n      fields: [proc.nope]\n').code, 'LOAD_ERR_VALIDATE');
  assert.is(ex('    - name: e\n      fields: [proc.name]\n      comps: [like]\n').code, 'LOAD_ERR_VALIDATE');
  assert.is(exceptionsText([], new Set()), '');
});

test('priorities: case-insensitive, info, long names, priorityMin filter', () => {
  const src = rule('a', 'evt.type=open').replace('WARNING', 'info') + rule('b', 'evt.type=open').replace('WARNING', 'critical') + rule('c', 'evt.type=open').replace('WARNING', 'Debug');
  const all = loadRuleFiles([{ name: 'p.yaml', content: src }], { positions: parseWithPositions }).ruleset!;
  assert.equal(all.rules.map((r) => r.priority), ['Informational', 'Critical', 'Debug']);
  const min = loadRuleFiles([{ name: 'p.yaml', content: src }], { priorityMin: 'Warning', positions: parseWithPositions }).ruleset!;
  assert.equal(min.rules.map((r) => r.name), ['b']);
});

test('rule_matching first vs all; evt.type index', () => {
  const src = rule('a', 'evt.type in (openat, execve) and proc.name = x') + rule('b', 'evt.type = openat and proc.name = x') + rule('c', 'evt.type = connect');
  const first = loadRuleFiles([{ name: 'm.yaml', content: src }], { positions: parseWithPositions }).ruleset!;
  const all = loadRuleFiles([{ name: 'm.yaml', content: src }], { ruleMatching: 'all', positions: parseWithPositions }).ruleset!;
  const e = openat(proc({ comm: 'x' }), '/x');
  assert.equal(first.evaluate(e).map((r) => r.name), ['a']);
  assert.equal(all.evaluate(e).map((r) => r.name), ['a', 'b']);
  assert.equal([...(first.eventTypes() as Set<string>)].sort(), ['connect', 'execve', 'openat']);
  assert.equal(first.rules.map((r) => [...(r.evttypes as Set<string>)].sort().join(',')), ['execve,openat', 'openat', 'connect']);
  // evaluation of an event type no rule wants does no work
  const before = first.counters.evaluations;
  first.evaluate(openat(proc({ comm: 'x' }), '/x'));
  first.evaluate({ ...e, type: 'unlink' });
  assert.is(first.counters.evaluations - before, 1);
});

test('a rule that throws is counted and treated as non-matching', () => {
  const rs = load(rule('a', 'evt.type=openat and proc.name=x') + rule('b', 'evt.type=openat')).ruleset!;
  const bad = openat(proc({ comm: 'x' }), '/x');
  Object.defineProperty(bad.proc, 'comm', { get: () => { throw new Error('boom'); } });
  assert.equal(rs.evaluate(bad).map((r) => r.name), ['b']);
  assert.is(rs.counters.errors, 1);
});

test('several YAML documents in one file', () => {
  const r = load(rule('a', 'evt.type=open') + '---\n' + rule('b', 'evt.type=open'));
  assert.equal(r.ruleset!.rules.map((x) => x.name), ['a', 'b']);
});

test.run();
