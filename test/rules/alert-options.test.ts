// The alert options under a real bin/instrument run: Falco's default output
// line (%evt.time) or time_format_iso_8601, integer ns in output_fields,
// and container fields on every alert only when asked (default on).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { instrument, testEnv, tmp } from '../helpers.js';
import { readAlerts } from '../fixtures/procs.js';

const dir = tmp('alert-opts-');
const rules = join(dir, 'rules.yaml');
writeFileSync(rules, '- rule: cat_run\n  desc: d\n  condition: evt.type in (execve, execveat) and proc.name = cat\n  output: "cat ran (pid=%proc.pid)"\n  priority: WARNING\n');

async function alertsWith(extra: string): Promise<Record<string, unknown>[]> {
  const file = join(dir, `alerts-${Math.random().toString(36).slice(2)}.jsonl`);
  const r = await instrument(['/bin/cat', '/dev/null'], { env: testEnv({ SYSDIG_EXTRA_ARGS: `--rules-file ${rules} --alerts-file ${file} ${extra}` }) });
  assert.is(r.exitCode, 0, String(r.stderr).slice(-1500));
  return readAlerts(file);
}

test('default: output starts with HH:MM:SS.ns, evt.time in output_fields, container fields present', async () => {
  const [a] = await alertsWith('');
  assert.ok(a, 'an alert');
  assert.match(String(a!.output), /^\d\d:\d\d:\d\d\.\d{9}: Warning cat ran \(pid=\d+\)$/);
  const f = a!.output_fields as Record<string, unknown>;
  assert.type(f['evt.time'], 'number');
  assert.ok('container.id' in f);
});

test('--time-format-iso-8601 true --alert-container-fields false', async () => {
  const [a] = await alertsWith('--time-format-iso-8601 true --alert-container-fields false');
  assert.ok(a, 'an alert');
  assert.match(String(a!.output), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}\+0000: Warning cat ran/);
  const f = a!.output_fields as Record<string, unknown>;
  assert.type(f['evt.time.iso8601'], 'number');
  assert.not.ok('container.id' in f);
  assert.equal(Object.keys(f).sort(), ['evt.time.iso8601', 'proc.pid']);
});

test.run();
