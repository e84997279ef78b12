// The event builder and the state below the end-to-end level, fed synthetic
// tracer records (as libsinsp's sinsp_with_test_input feeds synthetic
// events): each case is the records a real tracer would send and the state
// and event they must make.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventBuilder } from '../../src/state/builder.js';
import type { FdEntry } from '../../src/state/fds.js';
import { ProcessTable } from '../../src/state/processes.js';
import { UserDb } from '../../src/state/users.js';
import { initialContainer } from '../../src/state/container.js';
import { fieldValue } from '../../src/rules/index.js';
import { ItemTag, RecordFlag, RecordKind } from '../../src/tracer/index.js';
import { NAMES, NR, fdFacts as facts, list, recordsOf, sin, str } from '../fixtures/records.js';

const AT_FDCWD = -100;
const O_WRONLY = 0o1, O_CREAT = 0o100, O_DIRECTORY = 0o200000, O_CLOEXEC = 0o2000000;
// Pids no real process has: the state must not find them in /proc.
const PID = 4_000_001;
const CHILD = 4_000_002;
const { rec, sys } = recordsOf(PID);
const S_IFREG = 0o100000, S_IFSOCK = 0o140000;

function setup(lazy = false) {
  const state = new ProcessTable(initialContainer({ id: 'test' }), new UserDb());
  const b = new EventBuilder(state, NAMES, lazy);
  b.apply(
    rec(RecordKind.Exec, PID, {
      flags: RecordFlag.Main,
      args: [PID],
      items: new Map([
        [ItemTag.Exe, str('/usr/bin/app')],
        [ItemTag.Cmdline, list(['app', '--serve'])],
        [ItemTag.Comm, str('app')],
        [ItemTag.Cwd, str('/srv')],
      ]),
    }),
  );
  return { state, b, p: () => state.get(PID)! };
}

test('exec: the process gets its image, argv, comm and cwd; it is the entrypoint (no parent)', () => {
  const { p, state } = setup();
  assert.is(p().comm, 'app');
  assert.is(p().exepath, '/usr/bin/app');
  assert.equal(p().args, ['--serve']);
  assert.is(p().cwd, '/srv');
  assert.is(p().parent, undefined);
  assert.is(state.mainPid, PID);
});

test('open and openat: relative to the cwd, absolute, and through a directory fd', () => {
  const { b, p } = setup();
  const e1 = b.apply(sys('openat', [AT_FDCWD, 0, O_WRONLY | O_CREAT], 3, [[ItemTag.Arg0 + 1, str('data/a.txt')]]))!;
  assert.is(e1.type, 'openat');
  assert.is(e1.fd!.name, '/srv/data/a.txt');
  assert.is(e1.fd!.nameRaw, 'data/a.txt');
  b.apply(sys('openat', [AT_FDCWD, 0, O_DIRECTORY], 4, [[ItemTag.Arg0 + 1, str('/etc')]]));
  assert.is(p().fds.get(4)!.type, 'directory');
  const e2 = b.apply(sys('openat', [4, 0, 0], 5, [[ItemTag.Arg0 + 1, str('passwd')]]))!;
  assert.is(e2.fd!.name, '/etc/passwd');
  // a dirfd the state never saw: the tracer's /proc answer (Dir0 + register) stands in
  const e3 = b.apply(sys('openat', [42, 0, 0], 6, [[ItemTag.Arg0 + 1, str('shadow')], [ItemTag.Dir0 + 0, str('/etc')]]))!;
  assert.is(e3.fd!.name, '/etc/shadow');
  const failed = b.apply(sys('open', [0, 0], -2, [[ItemTag.Arg0, str('/nope')]]))!;
  assert.is(failed.res, -2);
  assert.is(failed.fd!.name, '/nope', 'a failed open still names the path (fd.name)');
  assert.not.ok(p().fds.has(-2));
});

test('creat: its event carries the flags creat means, so the rules see an open for writing that creates', () => {
  const { b } = setup();
  const e = b.apply(sys('creat', [0, 0o755], 3, [[ItemTag.Arg0, str('/tmp/run.sh')]]))!;
  assert.is(e.fd!.name, '/tmp/run.sh');
  const fields = ['evt.is_open_read', 'evt.is_open_write', 'evt.is_open_create', 'evt.is_open_exec', 'evt.rawarg.flags'];
  assert.equal(fields.map((f) => fieldValue(f, e)), [false, true, true, true, O_WRONLY | O_CREAT | 0o1000]);
  // Falco's fs.path.* family has the opens with flags parameters only
  assert.is(fieldValue('fs.path.name', e), null);
});

test('dup, dup2, dup3 and fcntl(F_DUPFD*): the copy names the same file; CLOEXEC only where asked', () => {
  const { b, p } = setup();
  b.apply(sys('openat', [AT_FDCWD, 0, 0], 5, [[ItemTag.Arg0 + 1, str('/var/log/app.log')]]));
  b.apply(sys('dup', [5], 6));
  b.apply(sys('dup2', [5, 9], 9));
  b.apply(sys('dup3', [5, 10, O_CLOEXEC], 10));
  b.apply(sys('fcntl', [5, 1030, 20], 20)); // F_DUPFD_CLOEXEC
  b.apply(sys('fcntl', [5, 0, 30], 30)); // F_DUPFD
  for (const n of [6, 9, 10, 20, 30]) assert.is(p().fds.get(n)!.name, '/var/log/app.log', `fd ${n}`);
  const cloexec = (n: number) => (p().fds.get(n) as FdEntry).cloexec === true;
  assert.equal([6, 9, 10, 20, 30].map(cloexec), [false, false, true, true, false]);
  // dup2 onto a taken fd replaces it; a dup of an unknown fd clears the target
  b.apply(sys('openat', [AT_FDCWD, 0, 0], 11, [[ItemTag.Arg0 + 1, str('/tmp/x')]]));
  b.apply(sys('dup2', [77, 11], 11));
  assert.not.ok(p().fds.has(11), 'a copy of an fd the state never saw is unknown too');
  b.apply(sys('close', [6], 0));
  assert.not.ok(p().fds.has(6));
  assert.ok(p().fds.has(5), 'closing a copy leaves the original');
});

test('close-on-exec: an exec drops the CLOEXEC fds and keeps the others', () => {
  const { b, p } = setup();
  b.apply(sys('openat', [AT_FDCWD, 0, O_CLOEXEC], 3, [[ItemTag.Arg0 + 1, str('/etc/hosts')]]));
  b.apply(sys('openat', [AT_FDCWD, 0, 0], 4, [[ItemTag.Arg0 + 1, str('/etc/hostname')]]));
  b.apply(rec(RecordKind.Exec, PID, { args: [PID], items: new Map([[ItemTag.Cmdline, list(['sh'])], [ItemTag.Comm, str('sh')]]) }));
  assert.not.ok(p().fds.has(3));
  assert.is(p().fds.get(4)!.name, '/etc/hostname');
  assert.is(p().comm, 'sh');
});

test('fork: the child inherits the fd table and cwd (a copy), and has the parent as parent', () => {
  const { b, state, p } = setup();
  b.apply(sys('openat', [AT_FDCWD, 0, 0], 3, [[ItemTag.Arg0 + 1, str('/srv/db')]]));
  b.apply(rec(RecordKind.Clone, CHILD, { args: [PID] }));
  const child = state.get(CHILD)!;
  assert.is(child.parent, p());
  assert.is(child.fds.get(3)!.name, '/srv/db');
  assert.is(child.cwd, '/srv');
  b.apply(sys('close', [3], 0, [], CHILD));
  assert.not.ok(child.fds.has(3));
  assert.ok(p().fds.has(3), "the child's close leaves the parent's fd");
  // a thread shares its process
  b.apply(rec(RecordKind.Clone, PID, { tid: 4_000_003, args: [PID], flags: RecordFlag.Thread }));
  const e = b.apply(sys('openat', [AT_FDCWD, 0, 0], 7, [[ItemTag.Arg0 + 1, str('t')]], PID))!;
  assert.is(e.proc, p());
});

test('fchdir and chdir: relative paths follow the new cwd (fchdir: the kernel\'s path when the tracer sent it)', () => {
  const { b, p } = setup();
  b.apply(sys('openat', [AT_FDCWD, 0, O_DIRECTORY], 4, [[ItemTag.Arg0 + 1, str('/opt/app')]]));
  b.apply(sys('fchdir', [4], 0, [[ItemTag.Cwd, str('/opt/app')]]));
  assert.is(p().cwd, '/opt/app');
  assert.is(b.apply(sys('open', [0, 0], 5, [[ItemTag.Arg0, str('conf.yaml')]]))!.fd!.name, '/opt/app/conf.yaml');
  b.apply(sys('chdir', [0], 0, [[ItemTag.Arg0, str('..')]]));
  assert.is(p().cwd, '/opt');
  b.apply(sys('fchdir', [99], 0, [[ItemTag.Cwd, str('/var')]]));
  assert.is(p().cwd, '/var', 'an fd the state never saw: the kernel\'s answer');
});

test('socket and connect: the fd becomes an ipv4 tuple client->server, local address from the tracer', () => {
  const { b, p } = setup();
  b.apply(sys('socket', [2, 1, 0], 7)); // AF_INET, SOCK_STREAM
  assert.is(p().fds.get(7)!.type, 'ipv4');
  const e = b.apply(sys('connect', [7, 0, 16], 0, [[ItemTag.Arg0 + 1, sin('10.0.0.1', 443)], [ItemTag.Local, sin('172.17.0.2', 40000)]]))!;
  assert.is(e.fd!.name, '172.17.0.2:40000->10.0.0.1:443');
  assert.is(e.fd!.sock!.serverPort, 443);
  assert.is(e.fd!.sock!.l4proto, 'tcp');
  assert.is(p().fds.get(7)!.name, '172.17.0.2:40000->10.0.0.1:443');
  // in progress (non-blocking): connected as far as the state is concerned
  b.apply(sys('socket', [2, 1 | 0o4000, 0], 8));
  assert.is(b.apply(sys('connect', [8, 0, 16], -115, [[ItemTag.Arg0 + 1, sin('198.51.100.7', 4444)], [ItemTag.Local, sin('172.17.0.2', 40001)]]))!.fd!.name, '172.17.0.2:40001->198.51.100.7:4444');
  // a refused connect leaves the socket unconnected
  b.apply(sys('socket', [2, 1, 0], 9));
  b.apply(sys('connect', [9, 0, 16], -111, [[ItemTag.Arg0 + 1, sin('127.0.0.1', 1)]]));
  assert.is(p().fds.get(9)!.name, '');
});

test('fcntl(F_SETFD) sets and clears close-on-exec; pipe2(O_CLOEXEC) pipes are gone after exec, pipe() ones stay', () => {
  const { b, p } = setup();
  b.apply(sys('openat', [AT_FDCWD, 0, 0], 3, [[ItemTag.Arg0 + 1, str('/a')]]));
  b.apply(sys('openat', [AT_FDCWD, 0, O_CLOEXEC], 4, [[ItemTag.Arg0 + 1, str('/b')]]));
  b.apply(sys('fcntl', [3, 2, 1], 0)); // F_SETFD FD_CLOEXEC
  b.apply(sys('fcntl', [4, 2, 0], 0)); // F_SETFD 0
  b.apply(sys('fcntl', [3, 2, 0], -9)); // a failed F_SETFD changes nothing
  const pair = (r: number, w: number) => Buffer.from(new Int32Array([r, w]).buffer);
  const e = b.apply(sys('pipe2', [0, O_CLOEXEC], 0, [[ItemTag.Out0, pair(5, 6)]]))!;
  assert.is(e.args.fd1, 5);
  assert.is(e.args.fd2, 6);
  b.apply(sys('pipe', [0], 0, [[ItemTag.Out0, pair(7, 8)]]));
  assert.is(p().fds.get(7)!.type, 'pipe');
  b.apply(rec(RecordKind.Exec, PID, { args: [PID], items: new Map([[ItemTag.Cmdline, list(['sh'])]]) }));
  assert.equal([...p().fds.keys()].sort(), [4, 7, 8]);
});

test('close: a successful close removes the fd and the event still names it; a failed one keeps it', () => {
  const { b, p } = setup();
  b.apply(sys('openat', [AT_FDCWD, 0, 0], 3, [[ItemTag.Arg0 + 1, str('/etc/passwd')]]));
  const failed = b.apply(sys('close', [3], -4))!; // EINTR after the fd is gone is Linux's, but the state keeps what the result says
  assert.is(failed.fd!.name, '/etc/passwd');
  assert.ok(p().fds.has(3));
  const ok = b.apply(sys('close', [3], 0))!;
  assert.is(ok.fd!.name, '/etc/passwd', 'the close event sees the fd it closed');
  assert.not.ok(p().fds.has(3));
  // close stops at entry only (detection ENTRY_ONLY): no result, the fd goes
  b.apply(sys('openat', [AT_FDCWD, 0, 0], 3, [[ItemTag.Arg0 + 1, str('/etc/group')]]));
  b.apply(rec(RecordKind.Syscall, PID, { nr: NR.close!, args: [3] }));
  assert.not.ok(p().fds.has(3));
});

test('socketpair, bind and accept: unix pair connected; a bound port makes a server; an accepted fd is server-side', () => {
  const { b, p } = setup();
  b.apply(sys('socketpair', [1, 1, 0, 0], 0, [[ItemTag.Out0 + 3, Buffer.from(new Int32Array([3, 4]).buffer)]]));
  assert.equal([p().fds.get(3)!.type, p().fds.get(4)!.type, p().fds.get(4)!.sock!.connected], ['unix', 'unix', true]);
  b.apply(sys('socket', [2, 1, 0], 5));
  const bound = b.apply(sys('bind', [5, 0, 16], 0, [[ItemTag.Arg0 + 1, sin('0.0.0.0', 8080)]]))!;
  assert.is(bound.args.addr, '0.0.0.0:8080');
  assert.is(p().fds.get(5)!.sock!.serverPort, 8080);
  assert.is(p().fds.get(5)!.sock!.isClient, false);
  const acc = b.apply(sys('accept4', [5, 0, 0, 0o2000000], 6, [[ItemTag.Out0 + 1, sin('203.0.113.9', 51000)], [ItemTag.Local, sin('172.17.0.2', 8080)]]))!;
  assert.is(acc.fd!.name, '203.0.113.9:51000->172.17.0.2:8080');
  assert.is(acc.args.tuple, acc.fd!.name);
  assert.is(acc.fd!.sock!.isClient, false);
  assert.ok((p().fds.get(6) as FdEntry).cloexec, 'accept4(SOCK_CLOEXEC)');
  // a failed accept refers to the listener
  assert.is(b.apply(sys('accept', [5, 0, 0], -11))!.fd!.num, 5);
});

test('lazy fd table: the event\'s fd is the kernel\'s answer at the stop, not a stale entry; no facts, no fd', () => {
  const { b, p } = setup(true);
  // the state believes fd 3 is /old (its close was not traced), the kernel says /new
  b.apply(sys('openat', [AT_FDCWD, 0, 0], 3, [[ItemTag.Arg0 + 1, str('/old')]]));
  const e = b.apply(sys('fchmod', [3, 0o600], 0, [[ItemTag.Fd0, facts({ fd: 3, mode: S_IFREG | 0o644, flags: O_WRONLY, ino: 12, link: '/new' })]]))!;
  assert.is(e.fd!.name, '/new');
  assert.is(e.fd!.type, 'file');
  assert.is(p().fds.get(3)!.name, '/new', 'what the kernel said is learned');
  assert.is(b.apply(sys('fchmod', [9, 0o600], 0))!.fd, undefined, 'no facts: no fd (the entry may be stale)');
  // a socket the state never saw: its tuple from the kernel's ends, the side from the listener role
  const peer = sin('10.1.1.1', 443), local = sin('172.17.0.2', 40100);
  const sent = b.apply(sys('sendto', [11, 0, 5], 5, [[ItemTag.Fd0, facts({ fd: 11, mode: S_IFSOCK, domain: 2, sotype: 1, ino: 99, local, peer, role: 2, link: 'socket:[99]' })]]))!;
  assert.is(sent.fd!.name, '172.17.0.2:40100->10.1.1.1:443');
  assert.is(sent.fd!.sock!.isClient, true);
  // an exact table (a capture read back) keeps its own entry
  const exact = setup(false);
  exact.b.apply(sys('openat', [AT_FDCWD, 0, 0], 3, [[ItemTag.Arg0 + 1, str('/old')]]));
  assert.is(exact.b.apply(sys('fchmod', [3, 0o600], 0, [[ItemTag.Fd0, facts({ fd: 3, mode: S_IFREG, link: '/new' })]]))!.fd!.name, '/old');
});

test('execve: the event carries the new image from the state, and `flags` is the exe bitmask (a memfd image: EXE_FROM_MEMFD)', () => {
  const { b, p } = setup();
  b.apply(rec(RecordKind.Exec, PID, { args: [PID], items: new Map([[ItemTag.Exe, str('/memfd:payload (deleted)')], [ItemTag.Cmdline, list(['x', '-q'])], [ItemTag.Comm, str('x')]]) }));
  const e = b.apply(sys('execve', [0], 0))!;
  assert.equal([e.args.exe, e.args.args, e.args.comm, e.args.flags], ['x', '-q', 'x', 4]);
  assert.is(p().exepath, 'memfd:payload');
});

test('exit: the process leaves the table, its children keep it as ancestor', () => {
  const { b, state, p } = setup();
  const parent = p();
  b.apply(rec(RecordKind.Clone, CHILD, { args: [PID] }));
  b.apply(rec(RecordKind.Exit, PID, { flags: RecordFlag.Leader | RecordFlag.Main }));
  assert.is(state.get(PID), undefined);
  assert.is(state.get(CHILD)!.parent, parent, 'ancestry survives the parent\'s exit');
  assert.ok(parent.exited);
});

test.run();
