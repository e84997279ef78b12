// bin/agentctl validate: falco -V JSON shape and exit codes.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmp } from '../helpers.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'bin', 'agentctl');
const shared = join(root, 'rules', 'upstream');
const dir = tmp('agentctl-');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: root });

test('validate --json on the stacked upstream files: exit 0, falco -V shape', () => {
  const r = run('validate', '--json', join(shared, 'falco_rules.yaml'), join(shared, 'falco-incubating_rules.yaml'), join(shared, 'falco-sandbox_rules.yaml'));
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { falco_load_results: { name: string; successful: boolean; errors: unknown[]; warnings: unknown[] }[] };
  assert.is(out.falco_load_results.length, 3);
  for (const f of out.falco_load_results) {
    assert.equal(Object.keys(f).sort(), ['errors', 'name', 'schema_valid', 'schema_warnings', 'successful', 'warnings']);
    assert.is((f as unknown as { schema_valid: boolean }).schema_valid, true);
    assert.ok(f.successful);
  }
});

test('validate --json with an error: exit 1, code/codedesc/message/context', () => {
  const f = join(dir, 'bad.yaml');
  writeFileSync(f, '- rule: x\n  desc: d\n  condition: evt.type=open and proc.nme = a\n  output: o\n  priority: INFO\n');
  const r = run('validate', '--json', f);
  assert.is(r.status, 1);
  const res = (JSON.parse(r.stdout) as { falco_load_results: { successful: boolean; errors: Record<string, unknown>[] }[] }).falco_load_results[0]!;
  assert.not.ok(res.successful);
  assert.equal(Object.keys(res.errors[0]!).sort(), ['code', 'codedesc', 'context', 'message']);
  assert.is(res.errors[0]!['code'], 'LOAD_ERR_COMPILE_CONDITION');
});

test('validate text output, warnings do not fail, default rules without FILE', () => {
  const f = join(dir, 'warn.yaml');
  writeFileSync(f, '- rule: x\n  desc: d\n  condition: proc.name = a\n  output: o\n  priority: INFO\n');
  const r = run('validate', f);
  assert.is(r.status, 0);
  assert.match(r.stdout, /: Ok/);
  assert.match(r.stdout, /LOAD_NO_EVTTYPE/);
  const d = run('validate');
  assert.is(d.status, 0, d.stdout + d.stderr);
  assert.match(d.stdout, /default\.yaml: Ok/);
});

test('bad usage: exit 2 with usage on stderr; unreadable file: exit 1', () => {
  const r = run('validate', '--nope');
  assert.is(r.status, 2);
  assert.match(r.stderr, /usage/);
  const m = run('validate', '--json', join(dir, 'missing.yaml'));
  assert.is(m.status, 1);
  assert.match(m.stdout, /LOAD_ERR_FILE_READ/);
});

test.run();
