// Lazy fd state: the facts of an event's fd come from the kernel at the
// event's own stop (native/capture.cc fd_items, FdFacts items), and a relative
// path's record carries the kernel's cwd, so the tracer need not stop on
// close, accept, socket or chdir to keep a table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ItemTag, itemFdFacts, type TraceRecord } from '../../src/tracer/index.js';
import { parseSockaddr } from '../../src/events/sockaddr.js';
import { traceRun, type Rec } from '../helpers.js';

const SYSCALL = 1;
const S_IFMT = 0o170000, S_IFSOCK = 0o140000, S_IFREG = 0o100000;
const PY = '/usr/bin/python3';

/** The facts item of argument i, decoded as the analysis decodes it. */
function facts(r: Rec, i = 0) {
  const raw = r.items[String(ItemTag.Fd0 + i)];
  if (raw === undefined) return undefined;
  const b = raw.startsWith('hex:') ? Buffer.from(raw.slice(4), 'hex') : Buffer.from(raw, 'utf8');
  return itemFdFacts({ items: new Map([[ItemTag.Fd0 + i, b]]) } as TraceRecord, ItemTag.Fd0 + i);
}

test('dup2 of an accepted socket: its type and both ends, read at the dup2', async () => {
  const script = [
    'import socket, os, sys',
    'l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)',
    'c = socket.create_connection(l.getsockname())',
    's, peer = l.accept()',
    'os.dup2(s.fileno(), 9)',
    'sys.stderr.write("%d %d %d" % (s.fileno(), l.getsockname()[1], peer[1]))',
  ].join('\n');
  const { records, exit } = await traceRun([PY, '-c', script], { stderr: 'pipe' }).then((r) => r);
  assert.is(exit, 0);
  const dup = records.find((r) => r.kind === SYSCALL && r.name === 'dup2' && (r.args[1]! | 0) === 9);
  assert.ok(dup, 'dup2 onto 9 recorded');
  const f = facts(dup!);
  assert.ok(f, 'facts of oldfd');
  assert.is(f!.fd, dup!.args[0]! | 0);
  assert.is(f!.mode & S_IFMT, S_IFSOCK);
  assert.is(f!.domain, 2, 'AF_INET');
  assert.is(f!.sotype, 1, 'SOCK_STREAM');
  const local = parseSockaddr(f!.local);
  const peer = parseSockaddr(f!.peer);
  assert.is(local?.ip, '127.0.0.1');
  assert.is(peer?.ip, '127.0.0.1');
  assert.ok(local!.port! > 0 && peer!.port! > 0 && local!.port !== peer!.port);
  assert.match(f!.link, /^socket:\[\d+\]$/);
  assert.is(f!.role, 1, 'the accepted side: a listener holds its local port (decided at the stop, the listener may be gone by the analysis)');
});

test('close of a file: its path and type at the entry stop; an fd that is not open has no facts', async () => {
  const script = 'import os; fd = os.open("/etc/hostname", os.O_RDONLY); os.close(fd)\ntry: os.close(fd)\nexcept OSError: pass';
  const { records, exit } = await traceRun([PY, '-c', script]);
  assert.is(exit, 0);
  const open = records.find((r) => r.kind === SYSCALL && r.name === 'openat' && r.items['1'] === '/etc/hostname');
  assert.ok(open, 'openat recorded');
  const closes = records.filter((r) => r.kind === SYSCALL && r.name === 'close' && (r.args[0]! | 0) === open!.ret);
  const last2 = closes.slice(-2);
  assert.is(last2.length, 2, 'both closes recorded');
  const f = facts(last2[0]!);
  assert.ok(f, 'facts at the first close');
  assert.is(f!.link, '/etc/hostname');
  assert.is(f!.mode & S_IFMT, S_IFREG);
  assert.is(f!.flags & 3, 0, 'O_RDONLY');
  assert.is(facts(last2[1]!), undefined, 'the second close names no open fd');
});

test('a relative path carries the cwd the kernel has at its stop (chdir untraced)', async () => {
  const { records, exit } = await traceRun(['sh', '-c', 'cd /usr && cat ../etc/hostname > /dev/null']);
  assert.is(exit, 0);
  const open = records.find((r) => r.kind === SYSCALL && r.name === 'openat' && r.items['1'] === '../etc/hostname');
  assert.ok(open, 'openat of the relative path');
  assert.is(open!.items[String(ItemTag.Cwd)], '/usr');
  const abs = records.find((r) => r.kind === SYSCALL && r.name === 'openat' && r.items['1'] === '/etc/ld.so.cache');
  if (abs) assert.is(abs.items[String(ItemTag.Cwd)], undefined, 'no cwd read for an absolute path');
});

test.run();
