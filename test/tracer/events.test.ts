// The tracer's records checked against real syscalls of real programs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { traceRun, tmp, type Rec } from '../helpers.js';

const SYSCALL = 1, CLONE = 2, EXEC = 3, EXIT = 4;
const F_THREAD = 2, F_HAS_RET = 1;

const syscalls = (recs: Rec[], name: string) => recs.filter((r) => r.kind === SYSCALL && r.name === name);

test('openat of a known path: path, flags and the fd it returned', async () => {
  const script = "import os; fd = os.open('/etc/hostname', os.O_RDONLY | os.O_CLOEXEC); os.write(2, str(fd).encode())";
  const { records, exit } = await traceRun(['/usr/bin/python3', '-c', script], { stderr: 'pipe' }).then(async (r) => r);
  assert.is(exit, 0);
  const opens = syscalls(records, 'openat').filter((r) => r.items['1'] === '/etc/hostname');
  assert.is(opens.length, 1, 'one openat of /etc/hostname');
  const o = opens[0]!;
  assert.ok(o.flags & F_HAS_RET, 'exit value captured');
  assert.ok(o.ret >= 3, `fd returned: ${o.ret}`);
  assert.is((o.args[0]! | 0), -100, 'dirfd AT_FDCWD');
  assert.is(o.args[2]! & 0o2000000, 0o2000000, 'O_CLOEXEC in flags');
  assert.is(o.args[2]! & 3, 0, 'O_RDONLY');
});

test('a failed openat carries the attempted path and the errno', async () => {
  const { records } = await traceRun(['cat', '/nonexistent/file'], { reject: false });
  const o = syscalls(records, 'openat').find((r) => r.items['1'] === '/nonexistent/file');
  assert.ok(o, 'openat recorded');
  assert.is(o!.ret, -2, 'ENOENT');
});

test('execve: exec record with the new argv, exe and the execve result', async () => {
  const { records, exit } = await traceRun(['sh', '-c', 'exec /bin/echo a "b c" >/dev/null']);
  assert.is(exit, 0);
  const ex = records.filter((r) => r.kind === EXEC);
  const echo = ex.find((r) => r.items['20'] === '/usr/bin/echo' || r.items['20'] === '/bin/echo');
  assert.ok(echo, `exec of echo seen: ${JSON.stringify(ex.map((r) => r.items['20']))}`);
  assert.equal(echo!.items['21'], 'hex:' + Buffer.from('/bin/echo\0a\0b c\0').toString('hex'));
  assert.is(echo!.items['27'], 'echo', 'comm');
  const call = syscalls(records, 'execve').find((r) => r.items['0'] === '/bin/echo');
  assert.ok(call, 'execve syscall with its filename');
  assert.is(call!.ret, 0);
});

test('execve out of the filter: one stop per exec, the exec event makes the execve record; a failed exec makes none', async () => {
  const argv = ['sh', '-c', '/nonexistent/x 2>/dev/null; exec /bin/echo a >/dev/null'];
  const full = await traceRun(argv);
  const lean = await traceRun(argv, { env: { TRACE_NO_EXEC: '1' } });
  assert.is(lean.exit, 0);
  // the workload's own exec of sh, then echo's
  const calls = syscalls(lean.records, 'execve');
  assert.is(calls.length, 2, 'the successful execs only');
  for (const c of calls) {
    assert.is(c.ret, 0);
    assert.ok(c.flags & 1, 'with its result');
    const i = lean.records.indexOf(c);
    assert.is(lean.records[i - 1]!.kind, EXEC, 'right after its exec record, as with the entry stop');
  }
  const fullCalls = syscalls(full.records, 'execve');
  assert.ok(fullCalls.some((c) => c.ret < 0), 'with the entry stop the failed exec is seen too');
  assert.not.ok(calls.some((c) => c.ret < 0));
  assert.ok(lean.stats.stops! < full.stats.stops!, `fewer stops (${lean.stats.stops} < ${full.stats.stops})`);
});

test('connect to a loopback listener: address, result and local address', async () => {
  const server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const script = `import socket; s = socket.create_connection(('127.0.0.1', ${port})); s.close()`;
    const { records, exit } = await traceRun(['/usr/bin/python3', '-c', script]);
    assert.is(exit, 0);
    const c = syscalls(records, 'connect').find((r) => r.ret === 0);
    assert.ok(c, 'successful connect recorded');
    const sa = Buffer.from(c!.items['1']!.slice(4), 'hex');
    assert.is(sa.readUInt16LE(0), 2, 'AF_INET');
    assert.is(sa.readUInt16BE(2), port, 'port');
    assert.equal([...sa.subarray(4, 8)], [127, 0, 0, 1]);
    const local = Buffer.from(c!.items['25']!.slice(4), 'hex');
    assert.is(local.readUInt16LE(0), 2, 'local sockaddr present');
    assert.ok(local.readUInt16BE(2) > 0, 'local port');
  } finally {
    server.close();
  }
});

test('symlinkat: target and link path', async () => {
  const dir = tmp();
  const link = join(dir, 'pw-link');
  const { records, exit } = await traceRun(['ln', '-s', '/etc/passwd', link]);
  assert.is(exit, 0);
  const s = [...syscalls(records, 'symlinkat'), ...syscalls(records, 'symlink')];
  assert.is(s.length, 1, 'one symlink call');
  assert.is(s[0]!.items['0'], '/etc/passwd');
  assert.ok(s[0]!.items['2'] === link || s[0]!.items['1'] === link, 'link path');
  assert.is(s[0]!.ret, 0);
});

test('ptrace call: request and target pid', async () => {
  const script = 'import ctypes; ctypes.CDLL(None, use_errno=True).ptrace(16, 1, 0, 0)';
  const { records } = await traceRun(['/usr/bin/python3', '-c', script]);
  const p = syscalls(records, 'ptrace');
  assert.is(p.length, 1);
  assert.is(p[0]!.args[0], 16, 'PTRACE_ATTACH');
  assert.is(p[0]!.args[1], 1, 'pid 1');
  assert.ok(p[0]!.ret < 0, 'refused');
});

test('clone3 threads are attributed to their process', async () => {
  const script = [
    'import threading, os',
    'def work(i): os.close(os.open("/etc/hostname", os.O_RDONLY))',
    't = [threading.Thread(target=work, args=(i,)) for i in range(8)]',
    '[x.start() for x in t]; [x.join() for x in t]',
  ].join('\n');
  const { records, exit } = await traceRun(['/usr/bin/python3', '-c', script]);
  assert.is(exit, 0);
  const threads = records.filter((r) => r.kind === CLONE && r.flags & F_THREAD);
  assert.ok(threads.length >= 8, `8 thread clones (got ${threads.length})`);
  const pid = threads[0]!.pid;
  for (const t of threads) assert.is(t.pid, pid, 'same process');
  const tids = new Set(threads.map((t) => t.tid));
  const opens = syscalls(records, 'openat').filter((r) => r.items['1'] === '/etc/hostname' && tids.has(r.tid));
  assert.is(opens.length, 8, 'each thread opened once');
  for (const o of opens) assert.is(o.pid, pid, 'opens attributed to the process');
  const threadExits = records.filter((r) => r.kind === EXIT && tids.has(r.tid));
  assert.is(threadExits.length, 8, 'thread exits');
});

test('execve from a non-leader thread: the exec record names the former thread', async () => {
  const script = ['import threading, os', 'def go(): os.execv("/bin/true", ["true"])', 'threading.Thread(target=go).start()', 'threading.Event().wait(5)'].join('\n');
  const { records, exit } = await traceRun(['/usr/bin/python3', '-c', script]);
  assert.is(exit, 0);
  const ex = records.filter((r) => r.kind === EXEC && r.items['27'] === 'true');
  assert.is(ex.length, 1);
  assert.ok(ex[0]!.args[0] !== ex[0]!.pid, 'former tid differs from the pid');
  assert.is(ex[0]!.tid, ex[0]!.pid, 'the execing thread took the leader id');
});

test('fork, vfork (posix_spawn) and exits are followed', async () => {
  const script = "import os; pid = os.posix_spawn('/bin/true', ['true'], os.environ); os.waitpid(pid, 0)";
  const { records, exit } = await traceRun(['/usr/bin/python3', '-c', script]);
  assert.is(exit, 0);
  const procs = records.filter((r) => r.kind === CLONE && !(r.flags & F_THREAD));
  assert.ok(procs.length >= 1, 'new process seen');
  const child = procs[procs.length - 1]!;
  assert.ok(records.some((r) => r.kind === EXEC && r.pid === child.pid), 'child exec seen');
  assert.ok(records.some((r) => r.kind === EXIT && r.pid === child.pid), 'child exit seen');
});

test.run();
