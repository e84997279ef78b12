// agentctl's dispatch: usage, unknown commands, the subcommand table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function agentctl(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'agentctl'), ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--help lists the subcommands, exit 0', () => {
  const r = agentctl('--help');
  assert.is(r.code, 0);
  assert.match(r.stdout, /^usage: agentctl COMMAND/);
  assert.match(r.stdout, /\n  validate /);
  assert.match(r.stdout, /\n  instrument-taskdef /);
});

test('no command or an unknown one: usage on stderr, exit 2', () => {
  const none = agentctl();
  assert.is(none.code, 2);
  assert.match(none.stderr, /usage: agentctl/);
  const bad = agentctl('frobnicate');
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /unknown command "frobnicate"/);
  assert.is(agentctl('toString').code, 2, 'no prototype keys as commands');
});

test('instrument-taskdef --help is reached through the dispatch', () => {
  const r = agentctl('instrument-taskdef', '--help');
  assert.is(r.code, 0);
  assert.match(r.stdout, /usage: agentctl instrument-taskdef/);
});

test.run();
