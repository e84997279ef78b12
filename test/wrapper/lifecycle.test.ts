// bin/instrument as a container entrypoint: exit codes, signals, stdio,
// argv, env, cwd, exec failures. Real programs under the real tracer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { INSTRUMENT, instrument, procState, sleep, testEnv, tmp, until } from '../helpers.js';

test('no arguments: usage on stderr, non-zero exit, nothing on stdout', async () => {
  const r = await instrument([]);
  assert.ok(r.exitCode !== 0);
  assert.match(r.stderr, /usage: instrument CMD/);
  assert.is(r.stdout, '');
});

for (const code of [0, 37, 255]) {
  test(`exit code ${code} passes through`, async () => {
    const r = await instrument(['sh', '-c', `exit ${code}`]);
    assert.is(r.exitCode, code);
  });
}

for (const [sig, code] of [
  ['TERM', 143],
  ['SEGV', 139],
  ['KILL', 137],
] as const) {
  test(`death by SIG${sig} exits ${code}`, async () => {
    const r = await instrument(['sh', '-c', `kill -${sig} $$`]);
    assert.is(r.exitCode, code);
  });
}

/** Starts a workload that prints READY once its traps are set. */
async function startTrapping(script: string) {
  const p = instrument(['sh', '-c', script]);
  let out = '';
  p.stdout!.on('data', (d) => (out += d));
  await until(() => out.includes('READY'), 15_000, 'READY');
  return { p, out: () => out };
}

test('SIGTERM is forwarded to a trapping child, which exits with its own code', async () => {
  const { p } = await startTrapping('trap "exit 42" TERM; echo READY; while :; do sleep 0.05; done');
  p.kill('SIGTERM');
  const r = await p;
  assert.is(r.exitCode, 42);
});

test('HUP, USR2 and INT are forwarded', async () => {
  const { p, out } = await startTrapping(
    'trap "echo got-HUP" HUP; trap "echo got-USR2" USR2; trap "echo got-INT; exit 7" INT; echo READY; while :; do sleep 0.05; done',
  );
  p.kill('SIGHUP');
  await until(() => out().includes('got-HUP'), 10_000, 'HUP');
  p.kill('SIGUSR2');
  await until(() => out().includes('got-USR2'), 10_000, 'USR2');
  p.kill('SIGINT');
  const r = await p;
  assert.is(r.exitCode, 7);
  assert.match(r.stdout, /got-HUP\s+got-USR2\s+got-INT/);
});

test('SIGSTOP/SIGCONT and SIGTSTP keep group-stop semantics', async () => {
  const { p, out } = await startTrapping('echo PID $$; echo READY; i=0; while [ $i -lt 400 ]; do i=$((i+1)); echo tick; sleep 0.02; done');
  const pid = Number(/PID (\d+)/.exec(out())![1]);
  process.kill(pid, 'SIGSTOP');
  // a group-stopped tracee shows as t (tracing stop) under PTRACE_LISTEN
  const stopped = () => /[Tt]/.test(procState(pid));
  await until(stopped, 5000, 'stopped');
  const ticks = out().split('tick').length;
  await sleep(300);
  assert.ok(stopped(), 'still stopped');
  assert.is(out().split('tick').length, ticks, 'no progress while stopped');
  process.kill(pid, 'SIGCONT');
  await until(() => out().split('tick').length > ticks + 2, 5000, 'ticks after SIGCONT');
  // SIGTSTP to the wrapper is forwarded and stops the workload too
  p.kill('SIGTSTP');
  await until(stopped, 5000, 'stopped by TSTP');
  p.kill('SIGCONT');
  await until(() => !stopped(), 5000, 'resumed');
  p.kill('SIGKILL');
  await p.catch(() => undefined);
});

test('stdin passes through byte for byte (binary)', async () => {
  const data = randomBytes(1 << 20);
  const r = await instrument(['cat'], { input: data, encoding: 'buffer', stripFinalNewline: false });
  assert.is(r.exitCode, 0);
  assert.ok(Buffer.compare(r.stdout as unknown as Buffer, data) === 0, 'same bytes');
});

test('stdout and stderr stay apart; the agent writes nothing to stdout', async () => {
  const r = await instrument(['sh', '-c', 'echo to-out; echo to-err >&2'], { env: testEnv({ SYSDIG_LOGGING: 'debug' }) });
  assert.is(r.stdout, 'to-out');
  assert.match(r.stderr, /to-err/);
  assert.not.match(r.stdout, /to-err/);
});

test('argv with spaces, empty strings, quotes and UTF-8 arrives untouched', async () => {
  const args = ['a b', '', '"quoted"', "it's", 'ünïcødé ✓', '--help', '-c'];
  const r = await instrument(['/usr/bin/python3', '-c', 'import sys, json; print(json.dumps(sys.argv[1:]))', ...args]);
  assert.is(r.exitCode, 0);
  assert.equal(JSON.parse(r.stdout), args);
});

test('environment kept; agent secrets removed', async () => {
  const r = await instrument(['env'], { env: testEnv({ FOO: 'bar baz', SYSDIG_ACCESS_KEY: 'sekret', SYSDIG_LOGGING: 'error' }) });
  assert.is(r.exitCode, 0);
  assert.match(r.stdout, /^FOO=bar baz$/m);
  assert.match(r.stdout, /^SYSDIG_LOGGING=error$/m, 'non-secret SYSDIG_ variables stay');
  assert.not.match(r.stdout, /sekret/);
  assert.not.match(r.stdout, /SYSDIG_ACCESS_KEY/);
});

test('cwd is kept', async () => {
  const dir = realpathSync(tmp());
  const r = await instrument(['pwd'], { cwd: dir });
  assert.is(r.stdout, dir);
});

test('a program that does not exist: 127 with a one-line reason', async () => {
  const r = await instrument(['/no/such/program', 'x']);
  assert.is(r.exitCode, 127);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('instrument:'));
  assert.is(lines.length, 1);
  assert.match(lines[0]!, /\/no\/such\/program: No such file or directory/);
  const r2 = await instrument(['no-such-command-anywhere']);
  assert.is(r2.exitCode, 127);
});

test('a file that is not executable: 126 with a one-line reason', async () => {
  const f = join(tmp(), 'not-exec.sh');
  writeFileSync(f, '#!/bin/sh\necho hi\n');
  chmodSync(f, 0o644);
  const r = await instrument([f]);
  assert.is(r.exitCode, 126);
  assert.match(r.stderr, /instrument: .*not-exec.sh: Permission denied/);
});

test('PATH lookup uses the workload PATH', async () => {
  const dir = tmp();
  const f = join(dir, 'my-tool');
  writeFileSync(f, '#!/bin/sh\necho from-my-tool "$@"\n');
  chmodSync(f, 0o755);
  const r = await instrument(['my-tool', 'x'], { env: testEnv({ PATH: `${dir}:/usr/bin:/bin` }) });
  assert.is(r.stdout, 'from-my-tool x');
});

test('50 MB through stdout', async () => {
  const r = await instrument(['head', '-c', String(50 * 1024 * 1024), '/dev/zero'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  assert.is(r.exitCode, 0);
  assert.is((r.stdout as unknown as Buffer).length, 50 * 1024 * 1024);
});

test('64 threads', async () => {
  const script = 'import threading\nout=[]\ndef w(i): out.append(open("/etc/hostname").read() and i)\nt=[threading.Thread(target=w,args=(i,)) for i in range(64)]\n[x.start() for x in t]\n[x.join() for x in t]\nprint(len(out))';
  const r = await instrument(['/usr/bin/python3', '-c', script]);
  assert.is(r.exitCode, 0);
  assert.is(r.stdout, '64');
});

test('300 child processes', async () => {
  const r = await instrument(['sh', '-c', 'i=0; while [ $i -lt 300 ]; do /bin/true || exit 9; i=$((i+1)); done; echo $i']);
  assert.is(r.exitCode, 0);
  assert.is(r.stdout, '300');
});

test('posix_spawn (vfork) and execve from a non-leader thread', async () => {
  const spawn = "import os; pid = os.posix_spawn('/bin/echo', ['echo', 'spawned'], os.environ); print(os.waitpid(pid, 0)[1])";
  const r = await instrument(['/usr/bin/python3', '-c', spawn]);
  assert.is(r.exitCode, 0);
  assert.is(r.stdout, 'spawned\n0');
  const thr = 'import threading, os\ndef go(): os.execv("/bin/echo", ["echo", "from-thread"])\nthreading.Thread(target=go).start()\nthreading.Event().wait(5)';
  const r2 = await instrument(['/usr/bin/python3', '-c', thr]);
  assert.is(r2.exitCode, 0);
  assert.is(r2.stdout, 'from-thread');
});

test('a terminal passes through (run under script)', async () => {
  const r = await instrument(
    ['script', '-qec', `${INSTRUMENT} sh -c 'test -t 0 && test -t 1 && echo ON-A-TTY; exit 3'`, '/dev/null'],
    { env: testEnv() },
  );
  assert.match(r.stdout, /ON-A-TTY/);
  assert.is(r.exitCode, 3);
});

test.run();
