// The access key reaches the analysis process through a pipe; no process the
// workload can see shows it in /proc, and the workload cannot ptrace the
// agent's processes to read it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INSTRUMENT, testEnv, tmp } from '../helpers.js';

const KEY = 'Sk-9f1b7c3e-secret-' + process.pid;

// Every /proc/PID/{environ,cmdline} and /proc/PID/task/TID/{environ,cmdline}
// readable by the workload, searched for the key (read from a file, so that
// no command line of the search holds it); prints the files that hold it.
const PATTERN = join(tmp('key-'), 'pattern');
writeFileSync(PATTERN, KEY + '\n', { mode: 0o644 });
chmodSync(join(PATTERN, '..'), 0o755);
const SEARCH = `for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline /proc/[0-9]*/task/[0-9]*/environ /proc/[0-9]*/task/[0-9]*/cmdline; do grep -l -a -F -f ${PATTERN} "$f" 2>/dev/null; done; echo searched`;

test('no process of the workload can read the key anywhere under /proc (root)', async () => {
  const r = await execa(INSTRUMENT, ['sh', '-c', `${SEARCH}; printf '%s' "$SYSDIG_ACCESS_KEY" | wc -c`], {
    env: testEnv({ SYSDIG_LOGGING: 'silent', SYSDIG_ACCESS_KEY: KEY }),
    extendEnv: false,
    reject: false,
  });
  assert.is(r.exitCode, 0, r.stderr);
  assert.is(r.stdout.trim(), 'searched\n0', 'no file holds the key, and the workload environment lacks it');
});

test('... nor as an unprivileged user', async () => {
  const r = await execa(INSTRUMENT, ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', SEARCH], {
    env: testEnv({ SYSDIG_LOGGING: 'silent', SYSDIG_ACCESS_KEY: KEY }),
    extendEnv: false,
    reject: false,
  });
  assert.is(r.stdout.trim(), 'searched');
});

test("the workload's ptrace of an agent process fails with EPERM; the agent is not dumpable", async () => {
  const py = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_SEIZE, PTRACE_ATTACH = 0x4206, 16
sup = os.getppid()
agents = [sup]
for tid in os.listdir(f"/proc/{sup}/task"):
    for c in open(f"/proc/{sup}/task/{tid}/children").read().split():
        if int(c) != os.getpid(): agents.append(int(c))
for pid in agents:
    for req in (PTRACE_ATTACH, PTRACE_SEIZE):
        r = libc.ptrace(req, pid, 0, 0)
        print(pid == sup and "supervisor" or "analysis", r, os.strerror(ctypes.get_errno()))
    st = os.stat(f"/proc/{pid}/environ")
    print("environ owner", st.st_uid)
`;
  const r = await execa(INSTRUMENT, ['python3', '-c', py], { env: testEnv({ SYSDIG_LOGGING: 'silent', SYSDIG_ACCESS_KEY: KEY }), extendEnv: false, reject: false });
  assert.is(r.exitCode, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.some((l) => l.startsWith('analysis')), 'the analysis process was found');
  for (const l of lines.filter((l) => !l.startsWith('environ'))) assert.match(l, / -1 Operation not permitted$/, l);
});

test.run();
