// PID 1 duties and degraded environments: a new PID namespace (reaping
// orphans), ptrace denied (the workload runs untraced, exit code kept), and
// running as a non-root user.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { join } from 'node:path';
import { INSTRUMENT, ROOT, instrument, testEnv, tmp } from '../helpers.js';

test('PID 1 in a new PID namespace reaps orphans', async () => {
  // The inner sh exits at once, orphaning `sleep 0.2`, which is re-parented
  // to PID 1 (the agent). After it ended, no zombie may remain.
  const script = 'sh -c "sleep 0.2 &"; sleep 1; echo "self=$$"; for f in /proc/[0-9]*/stat; do cat $f 2>/dev/null; echo; done';
  const r = await execa('unshare', ['--pid', '--fork', '--mount-proc', INSTRUMENT, 'sh', '-c', script], {
    reject: false,
    env: testEnv(),
    extendEnv: false,
  });
  assert.is(r.exitCode, 0, r.stderr);
  const stats = r.stdout.split('\n').filter((l) => /^\d+ \(/.test(l));
  const init = stats.find((l) => l.startsWith('1 ('));
  assert.ok(init, 'PID 1 listed');
  assert.match(init!, /^1 \((node|instrument)\)/, 'the agent is PID 1');
  const zombies = stats.filter((l) => / Z /.test(l.slice(l.lastIndexOf(')'))));
  assert.equal(zombies, [], 'no zombies');
});

test('SIGTERM to PID 1 in a PID namespace reaches the workload', async () => {
  const p = execa('unshare', ['--pid', '--fork', '--mount-proc', INSTRUMENT, 'sh', '-c', 'trap "exit 21" TERM; echo READY; while :; do sleep 0.05; done'], {
    reject: false,
    env: testEnv(),
    extendEnv: false,
  });
  await new Promise<void>((resolve) => p.stdout!.on('data', (d: Buffer) => d.includes('READY') && resolve()));
  // unshare --fork waits for its child, the namespace's PID 1 (the agent):
  // signal that child. (Not `pgrep -n` on the command line: unshare's own
  // matches too and starts in the same clock tick, so -n could pick
  // unshare, which ignores SIGTERM, and the test hung.)
  const { stdout } = await execa('pgrep', ['-P', String(p.pid)]);
  process.kill(Number(stdout.trim().split('\n')[0]), 'SIGTERM');
  const r = await p;
  assert.is(r.exitCode, 21);
});

test('ptrace denied by a seccomp filter: the workload runs untraced, with one warning and its exit code', async () => {
  const dir = tmp();
  const bin = join(dir, 'noptrace');
  await execa('gcc', ['-O2', '-o', bin, join(ROOT, 'test', 'fixtures', 'noptrace.c')]);
  const r = await execa(bin, [INSTRUMENT, 'sh', '-c', 'echo ran; exit 5'], { reject: false, env: testEnv(), extendEnv: false });
  assert.is(r.exitCode, 5);
  assert.is(r.stdout, 'ran');
  const warnings = r.stderr.split('\n').filter((l) => /UNTRACED/.test(l));
  assert.is(warnings.length, 1, r.stderr);
  assert.match(warnings[0]!, /ptrace not permitted/);
});

test('runs as a non-root user, traced', async () => {
  const alerts = join(tmp(), 'a.jsonl');
  await execa('chmod', ['777', join(alerts, '..')]);
  const r = await execa(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', INSTRUMENT, 'sh', '-c', 'id -u; cat /etc/shadow 2>/dev/null; exit 4'],
    { reject: false, env: testEnv({ SYSDIG_EXTRA_ARGS: `--alerts-file ${alerts}` }), extendEnv: false },
  );
  assert.is(r.exitCode, 4, r.stderr);
  assert.is(r.stdout, '65534');
  assert.not.match(r.stderr, /UNTRACED/, 'tracing works without root');
});

test('untraced when the tracer is disabled is not possible by accident: the default is traced', async () => {
  const r = await instrument(['sh', '-c', 'exit 0'], { env: testEnv({ SYSDIG_LOGGING: 'info' }) });
  assert.match(r.stderr, /workload started under the tracer/);
});

test.run();
