// What the workload inherits through the supervisor: exactly what it would
// have inherited had it been started in the supervisor's place. Each case
// compares a native run with an instrumented one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INSTRUMENT, testEnv, tmp } from '../helpers.js';

const env = testEnv({ SYSDIG_LOGGING: 'silent' });
const sh = (script: string, opts = {}) => execa('sh', ['-c', script], { env, extendEnv: false, reject: false, timeout: 60_000, ...opts });

/** The same shell snippet natively and under instrument: $RUN is empty or the instrument path. */
async function both(script: string) {
  const native = await sh(script.replaceAll('$RUN ', ''));
  const traced = await sh(script.replaceAll('$RUN ', INSTRUMENT + ' '));
  return { native, traced };
}

test('4 MB to a slow stderr pipe arrives whole (the agent never makes fd 2 non-blocking)', async () => {
  const script = `{ $RUN sh -c 'dd if=/dev/zero bs=1M count=4 status=none >&2; echo dd=$? >&2'; } 2>&1 >/dev/null | (sleep 1; wc -c)`;
  const { native, traced } = await both(script);
  assert.is(native.stdout.trim(), String(4 * 1024 * 1024 + 'dd=0\n'.length));
  assert.is(traced.stdout.trim(), native.stdout.trim());
});

test('stdio flags are those of the open files the workload was given', async () => {
  const script = `$RUN sh -c 'for fd in 0 1 2; do grep ^flags /proc/self/fdinfo/$fd; done' < /dev/null`;
  const { native, traced } = await both(script);
  assert.ok(native.stdout.includes('flags'));
  assert.is(traced.stdout, native.stdout);
});

test('fd 3 and above are inherited (socket activation keeps its fds)', async () => {
  const dir = tmp();
  const file = join(dir, 'three');
  writeFileSync(file, 'from fd 3\n');
  const script = `$RUN sh -c 'cat <&3; cat <&7; ls /proc/self/fd | sort -n | tr "\\n" " "' 3<${file} 7<${file}`;
  const { native, traced } = await both(script);
  assert.match(native.stdout, /^from fd 3\nfrom fd 3\n/);
  assert.is(traced.stdout, native.stdout, 'same content and the same set of open fds');
});

test("ignored signals survive (trap '' HUP, nohup)", async () => {
  const script = `trap '' HUP; $RUN sh -c 'grep ^SigIgn /proc/self/status'`;
  const { native, traced } = await both(script);
  assert.ok(BigInt('0x' + native.stdout.split(/\s+/)[1]) & 1n, 'HUP (bit 0) ignored natively');
  assert.is(traced.stdout, native.stdout);
  const nohup = await both(`$RUN nohup sh -c 'grep ^SigIgn /proc/self/status' 2>/dev/null`);
  assert.is(nohup.traced.stdout, nohup.native.stdout);
});

test('the blocked signal mask and the soft NOFILE limit are unchanged', async () => {
  // python3 blocks USR1 and TERM, then execs the (instrumented) command; the
  // workload is grep itself, reading its own status (a shell between would
  // reset the mask).
  const block = `python3 -c 'import os, signal, sys; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGTERM}); os.execvp(sys.argv[1], sys.argv[1:])'`;
  const mask = await both(`${block} $RUN grep -E "^Sig(Blk|Ign)" /proc/self/status`);
  assert.match(mask.native.stdout, /SigBlk:\s+0+4200\n/);
  assert.is(mask.traced.stdout, mask.native.stdout);
  const limits = await both(`ulimit -Sn 1000; $RUN sh -c 'ulimit -Sn; ulimit -Hn'`);
  assert.match(limits.native.stdout, /^1000\n/);
  assert.is(limits.traced.stdout, limits.native.stdout);
});

test('process group and session are those of the supervisor (a shell job stays one job)', async () => {
  const script = `$RUN sh -c 'ps -o pgid= -o sid= -p $$ | tr -s " "; ps -o pgid= -o sid= -p $PPID | tr -s " "'`;
  const r = await sh(script.replaceAll('$RUN ', INSTRUMENT + ' '));
  const [self, parent] = r.stdout.trim().split('\n').map((l) => l.trim());
  assert.is(self, parent, 'the workload shares the supervisor\'s process group and session');
});

test.run();
