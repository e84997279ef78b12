// A process's file-descriptor table and every way it changes: an fd opened,
// closed, duplicated, marked close-on-exec, inherited by a fork, dropped by
// an exec, or learned from the kernel's facts about it (the tracer reads
// /proc at the event's own stop, so an fd opened while the tracer did not
// stop is still named right). The event builder decides which transition an
// event makes; how each one works is here, in Falco's order: an event sees
// the fd it opened, and the fd it closed.
import { posix } from 'node:path';
import type { FdInfo, FdType, ProcessInfo, SocketInfo } from '../events/model.js';
import { AF_INET, AF_INET6, AF_NETLINK, AF_UNIX, parseSockaddr, type SockAddr } from '../events/sockaddr.js';
import type { FdFacts } from '../tracer/index.js';

export const O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;

/** FdInfo plus the close-on-exec bit, which only the state needs. */
export interface FdEntry extends FdInfo {
  cloexec?: boolean;
}

function get(p: ProcessInfo, num: number): FdEntry | undefined {
  return p.fds.get(num) as FdEntry | undefined;
}

/** `fd` is now the entry at its number (an open, a socket, an accept, a change of what the fd is). */
export function set(p: ProcessInfo, fd: FdEntry): void {
  p.fds.set(fd.num, fd);
}

/** close(2) succeeded (or its result is not known: close never fails in a way that keeps the fd). */
export function close(p: ProcessInfo, num: number): void {
  p.fds.delete(num);
}

/** dup/dup2/dup3/F_DUPFD: `to` becomes a copy of `from`; a copy of an fd we do not know leaves `to` unknown (whatever it was is gone). */
export function dup(p: ProcessInfo, from: FdEntry | undefined, to: number, cloexec: boolean): void {
  if (from) set(p, { ...from, num: to, cloexec });
  else p.fds.delete(to);
}

/** fcntl(F_SETFD): the close-on-exec bit of one fd. */
export function setCloexec(p: ProcessInfo, fd: FdEntry, on: boolean): void {
  set(p, { ...fd, cloexec: on });
}

/** A pipe or socketpair: two new fds of one kind. */
export function pair(p: ProcessInfo, nums: readonly [number, number], make: (num: number) => FdEntry): void {
  for (const n of nums) p.fds.set(n, make(n));
}

/** fork/clone without CLONE_FILES: the child's table is a copy of the parent's (entries are immutable, so shared). */
export function inherit(parent: ProcessInfo): Map<number, FdInfo> {
  return new Map(parent.fds);
}

/** exec: the close-on-exec fds are gone in the new image. */
export function exec(p: ProcessInfo): void {
  for (const [n, fd] of p.fds) if ((fd as FdEntry).cloexec) p.fds.delete(n);
}

/**
 * A directory fd's path as the kernel has it (read at the stop of a call
 * that uses it as a dirfd): it may be an fd the state never saw (an open the
 * pre-filter skipped, an fd received over a socket).
 */
export function learnDir(p: ProcessInfo, num: number, path: string): void {
  const known = p.fds.get(num);
  if (!known) p.fds.set(num, { num, type: 'directory', name: path } as FdEntry);
  else if ((known.type === 'file' || known.type === 'directory') && known.name !== path) p.fds.set(num, { ...known, name: path });
}

/** Absolute path of `path` as the process sees it: relative to dirfd or cwd, normalised. */
export function resolvePath(p: ProcessInfo, path: string, dirfd?: number): string {
  if (path.startsWith('/')) return posix.normalize(path);
  let base = p.cwd;
  if (dirfd !== undefined && dirfd !== AT_FDCWD) {
    const d = p.fds.get(dirfd);
    if (d !== undefined) base = d.name;
  }
  if (path === '') return base;
  return posix.normalize(posix.join(base, path));
}

/**
 * The fd `num` as an event sees it. Lazy table (the tracer does not stop on
 * every call that changes the table): the kernel's facts, merged with the
 * state's entry when it is the same object, nothing without them (the entry
 * may be stale). Exact table (libsinsp's view, event by event: a capture is
 * read back against it): the state's entry, the facts only when it has none.
 * What the facts say is learned into the table.
 */
export function observe(p: ProcessInfo, num: number, facts: FdFacts | undefined, lazy: boolean, isClient?: boolean): FdEntry | undefined {
  const cached = get(p, num);
  if (!lazy && cached) return cached;
  if (facts === undefined) return lazy ? undefined : cached;
  const fd = fromFacts(facts, cached, isClient);
  p.fds.set(num, fd);
  return fd;
}

/**
 * A socket fd with its tuple filled in. `client` is our local address when
 * isClient (connect, sendto), the peer after accept; `server` the other end.
 */
export function withPeer(fd: FdEntry, client: SockAddr | undefined, server: SockAddr, isClient: boolean): FdEntry {
  const sock: SocketInfo = {
    domain: fd.sock?.domain ?? server.family,
    l4proto: fd.sock?.l4proto,
    clientIp: client?.ip,
    clientPort: client?.port,
    serverIp: server.ip,
    serverPort: server.port,
    isClient,
    connected: true,
    path: server.path ?? client?.path,
  };
  let name: string;
  if (server.path !== undefined || fd.type === 'unix') name = server.path ?? client?.path ?? fd.name;
  else name = `${client?.ip ?? '0.0.0.0'}:${client?.port ?? 0}->${server.ip ?? '0.0.0.0'}:${server.port ?? 0}`;
  return { ...fd, sock, name };
}

/** fd.type of a new socket(2) of `domain`. */
export function socketType(domain: number): FdType {
  return domain === AF_INET ? 'ipv4' : domain === AF_INET6 ? 'ipv6' : domain === AF_UNIX ? 'unix' : domain === AF_NETLINK ? 'netlink' : 'unknown';
}

const FD_ROLE_SERVER = 1;
const S_IFMT = 0o170000;
const S_IFSOCK = 0o140000;
const S_IFDIR = 0o040000;
const S_IFIFO = 0o010000;
const ANON_TYPES: Record<string, FdType> = {
  '[eventfd]': 'event', '[eventpoll]': 'eventpoll', '[signalfd]': 'signalfd', inotify: 'inotify',
  '[timerfd]': 'timerfd', '[userfaultfd]': 'userfaultfd', '[io_uring]': 'io_uring',
};

function typeOf(f: FdFacts, local: SockAddr | undefined, peer: SockAddr | undefined): FdType {
  const fmt = f.mode & S_IFMT;
  if (fmt === S_IFSOCK) {
    // an AF_INET6 socket whose ends are IPv4-mapped is an ipv4 fd, as in libsinsp
    if (f.domain === AF_INET6) return (peer ?? local)?.family === AF_INET ? 'ipv4' : 'ipv6';
    return socketType(f.domain);
  }
  if (fmt === S_IFDIR) return 'directory';
  if (fmt === S_IFIFO) return 'pipe';
  if (f.link.startsWith('/memfd:')) return 'memfd';
  if (f.link.startsWith('anon_inode:')) {
    const kind = f.link.slice('anon_inode:'.length);
    return ANON_TYPES[kind] ?? (kind.startsWith('bpf') ? 'bpf' : 'unknown');
  }
  return f.link.startsWith('/') ? 'file' : 'unknown';
}

function sameEnds(s: SocketInfo, a: SockAddr, b: SockAddr): boolean {
  const ends = [`${s.clientIp}:${s.clientPort}`, `${s.serverIp}:${s.serverPort}`].sort().join(' ');
  return ends === [`${a.ip}:${a.port}`, `${b.ip}:${b.port}`].sort().join(' ');
}

/**
 * An fd entry from the kernel's facts. `cached` is the state's entry for the
 * same number, kept when it is the same object (same path, same socket):
 * it knows what the kernel cannot say (the path as opened, the open flags,
 * which side connected). `isClient`: the role when the event tells it.
 */
function fromFacts(f: FdFacts, cached: FdEntry | undefined, isClient?: boolean): FdEntry {
  const local = f.local ? parseSockaddr(f.local) : undefined;
  const peer = f.peer ? parseSockaddr(f.peer) : undefined;
  const type = typeOf(f, local, peer);
  const cloexec = (f.flags & O_CLOEXEC) !== 0;
  const ino = Number(f.ino);
  if (type === 'file' || type === 'directory') {
    const name = f.link.replace(/ \(deleted\)$/, '');
    if (cached && cached.type === type && cached.name === name) return { ...cached, cloexec, ino };
    return { num: f.fd, type, name, openFlags: f.flags & ~O_CLOEXEC, cloexec, ino };
  }
  if (type === 'memfd') return { num: f.fd, type, name: f.link.replace(/^\/memfd:/, 'memfd:').replace(/ \(deleted\)$/, ''), cloexec, ino };
  if (type === 'pipe') return { num: f.fd, type, name: '', cloexec, ino };
  if (f.domain < 0) return { num: f.fd, type, name: f.link, cloexec, ino };
  const l4proto = f.sotype === 1 ? 'tcp' : f.sotype === 2 ? 'udp' : f.sotype === 3 ? 'raw' : undefined;
  const base: FdEntry = { num: f.fd, type, name: '', sock: { domain: f.domain, l4proto, connected: false }, cloexec, ino };
  // the state's entry for this socket (same inode, or one from a record that
  // had no facts): it knows how the socket was bound and which side it is
  const same = cached?.sock !== undefined && cached.type === type && (cached.ino === ino || cached.ino === undefined);
  if (peer === undefined) {
    if (same && !cached!.sock!.connected) return { ...cached!, cloexec, ino };
    // not connected: a unix socket is named by its path; an inet one bound to a port is a server's
    if (type === 'unix') return { ...base, name: local?.path ?? '', sock: { ...base.sock!, path: local?.path } };
    if (local?.port) return { ...base, sock: { ...base.sock!, serverIp: local.ip, serverPort: local.port, isClient: false } };
    return base;
  }
  if (type === 'unix') return { ...base, name: peer.path || local?.path || '', sock: { ...base.sock!, connected: true, path: peer.path || local?.path } };
  if (local === undefined) return base;
  let client = isClient;
  if (client === undefined && same && (cached!.ino === ino || sameEnds(cached!.sock!, local, peer))) client = cached!.sock!.isClient;
  // The side whose port has a listener is the server (what accept gives),
  // as the tracer saw it at the stop (FdFacts.role)
  if (client === undefined) client = f.role !== FD_ROLE_SERVER;
  return client ? withPeer(base, local, peer, true) : withPeer(base, peer, local, false);
}
