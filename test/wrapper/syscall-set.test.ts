// The seccomp set: the rules' event types plus only the state syscalls that
// no other means can give (credentials); the fd table's and the cwd's
// syscalls come back only for a rule that needs them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRuleFiles } from '../../src/rules/index.js';
import { syscallSet, stateNeeds, lazyFdTable, FD_TABLE_SYSCALLS, STATE_SYSCALLS } from '../../src/wrapper/detection.js';
import { ROOT } from '../helpers.js';

function ruleset(name: string, content: string) {
  const { ruleset: rs, results } = loadRuleFiles([{ name, content }]);
  assert.ok(rs, JSON.stringify(results));
  return rs!;
}
const names = (s: { name: string }[]) => s.map((x) => x.name);
/** A one-rule set. */
const oneRule = (name: string, condition: string) =>
  ruleset('t.yaml', `- rule: ${name}\n  desc: t\n  condition: ${condition}\n  output: x\n  priority: INFO\n`);

test('the stable rules: no stop on accept, close, socketpair, pipe or chdir; credentials kept', () => {
  const file = join(ROOT, 'rules', 'upstream', 'falco_rules.yaml');
  const rs = ruleset(file, readFileSync(file, 'utf8'));
  const set = syscallSet(rs);
  for (const n of ['accept', 'accept4', 'close', 'socketpair', 'pipe', 'pipe2', 'bind', 'fcntl', 'chdir', 'fchdir', 'memfd_create']) {
    assert.not.ok(names(set).includes(n), `${n} not stopped on`);
  }
  for (const n of [...STATE_SYSCALLS, 'execve', 'connect', 'dup2', 'openat']) assert.ok(names(set).includes(n), `${n} stopped on`);
  assert.ok(lazyFdTable(set));
  assert.equal(stateNeeds(rs), {});
});

test('a rule over the whole fd table brings every fd syscall back, and says which rule', () => {
  const rs = oneRule('many fds', 'evt.type = execve and proc.fdopencount > 100');
  const set = syscallSet(rs);
  for (const n of FD_TABLE_SYSCALLS) assert.ok(names(set).includes(n), n);
  assert.not.ok(lazyFdTable(set));
  assert.equal(stateNeeds(rs).fdTable, { rule: 'many fds', field: 'proc.fdopencount' });
  assert.is(set.find((s) => s.name === 'close')!.exit, false, 'close stays entry-only');
});

test('proc.cwd on events other than exec brings chdir and fchdir back; on exec alone it does not', () => {
  const onOpen = oneRule('cwd on open', 'evt.type = openat and proc.cwd = /tmp/');
  assert.equal(stateNeeds(onOpen).cwd, { rule: 'cwd on open' });
  assert.ok(names(syscallSet(onOpen)).includes('fchdir'));
  const onExec = oneRule('cwd on exec', 'evt.type = execve and proc.cwd = /tmp/');
  assert.equal(stateNeeds(onExec), {});
  assert.not.ok(names(syscallSet(onExec)).includes('chdir'));
});

test('a rule that evaluates accept4 or close stops on it, and only on it', () => {
  const rs = oneRule('accepts', 'evt.type = accept4 and fd.sport = 22');
  const set = names(syscallSet(rs));
  assert.ok(set.includes('accept4'));
  assert.not.ok(set.includes('close'));
  assert.not.ok(set.includes('socket'));
});

test.run();
