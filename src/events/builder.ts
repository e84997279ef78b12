// From tracer records to Falco syscall events: each syscall record becomes one
// exit event carrying its entry arguments (by Falco parameter name) and its
// result, with the acting process and the fd it refers to. Lifecycle records
// (clone, exec, exit) update the state only. State changes that an event
// causes (a new fd, a closed fd, a new cwd) are applied here, in the order
// Falco applies them: the event sees the fd it opened, and the fd it closed.
import { ItemTag, RecordFlag, RecordKind, itemCreds, itemFdFacts, itemList, itemString, type FdFacts, type TraceRecord } from '../tracer/index.js';
import type { FdInfo, FdType, ProcessInfo, SocketInfo, SyscallEvent } from './model.js';
import { AF_INET, AF_INET6, AF_NETLINK, AF_UNIX, parseSockaddr, renderSockaddr, type SockAddr } from './sockaddr.js';
import { O_CLOEXEC, resolvePath, type ExecFacts, type FdEntry, type ProcessTable } from '../state/processes.js';

/** Register order of each syscall's arguments, by Falco parameter name (null: not a parameter). */
export const REGS: Record<string, (string | null)[]> = {
  open: ['name', 'flags', 'mode'],
  openat: ['dirfd', 'name', 'flags', 'mode'],
  openat2: ['dirfd', 'name'],
  creat: ['name', 'mode'],
  close: ['fd'],
  dup: ['oldfd'],
  dup2: ['oldfd', 'newfd'],
  dup3: ['oldfd', 'newfd', 'flags'],
  fcntl: ['fd', 'cmd'],
  chdir: ['path'],
  fchdir: ['fd'],
  mkdir: ['path', 'mode'],
  mkdirat: ['dirfd', 'path', 'mode'],
  rmdir: ['path'],
  unlink: ['path'],
  unlinkat: ['dirfd', 'name', 'flags'],
  rename: ['oldpath', 'newpath'],
  renameat: ['olddirfd', 'oldpath', 'newdirfd', 'newpath'],
  renameat2: ['olddirfd', 'oldpath', 'newdirfd', 'newpath', 'flags'],
  chmod: ['filename', 'mode'],
  fchmod: ['fd', 'mode'],
  fchmodat: ['dirfd', 'filename', 'mode'],
  symlink: ['target', 'linkpath'],
  symlinkat: ['target', 'linkdirfd', 'linkpath'],
  link: ['oldpath', 'newpath'],
  linkat: ['olddir', 'oldpath', 'newdir', 'newpath', 'flags'],
  mount: ['dev', 'dir', 'type', 'flags'],
  umount2: ['name', 'flags'],
  memfd_create: ['name', 'flags'],
  pipe: [],
  pipe2: [null, 'flags'],
  kill: ['pid', 'sig'],
  tgkill: [null, 'pid', 'sig'],
  ptrace: ['request', 'pid', 'addr', 'data'],
  prctl: ['option', 'arg2_int'],
  setns: ['fd', 'nstype'],
  unshare: ['flags'],
  setuid: ['uid'],
  setgid: ['gid'],
  setreuid: ['ruid', 'euid'],
  setregid: ['rgid', 'egid'],
  setresuid: ['ruid', 'euid', 'suid'],
  setresgid: ['rgid', 'egid', 'sgid'],
  setfsuid: ['uid'],
  setfsgid: ['gid'],
  capset: [],
  init_module: [null, 'length', 'uargs'],
  finit_module: ['fd', 'uargs', 'flags'],
  delete_module: ['name', 'flags'],
  bpf: ['cmd'],
  userfaultfd: ['flags'],
  socket: ['domain', 'type', 'proto'],
  socketpair: ['domain', 'type', 'proto'],
  connect: ['fd'],
  bind: ['fd'],
  listen: ['fd', 'backlog'],
  accept: ['fd'],
  accept4: ['fd', null, null, 'flags'],
  sendto: ['fd', null, 'size'],
  sendmsg: ['fd'],
  recvfrom: ['fd', null, 'size'],
  recvmsg: ['fd'],
  execve: ['filename'],
  execveat: ['dirfd', 'pathname', null, null, 'flags'],
  clone: ['flags'],
  clone3: [],
  fork: [],
  vfork: [],
  getppid: [],
};

/** Parameters that are strings read behind the pointer (item tag = register index). */
export const STRING_PARAMS = new Set([
  'name', 'path', 'filename', 'oldpath', 'newpath', 'target', 'linkpath', 'dev', 'dir', 'uargs', 'pathname',
]);
/** Parameters holding unsigned 32-bit values (flags, ids); the rest are signed ints. */
const UNSIGNED_PARAMS = new Set(['flags', 'mode', 'uid', 'gid', 'ruid', 'euid', 'suid', 'rgid', 'egid', 'sgid', 'nstype', 'addr', 'data', 'length', 'size']);

const SOCK_TYPE_MASK = 0xf;
const SOCK_CLOEXEC = 0o2000000;
const F_DUPFD = 0;
const F_SETFD = 2;
const F_DUPFD_CLOEXEC = 1030;
const O_DIRECTORY = 0o200000;
const EINPROGRESS = 115;

/** What an exec record tells of the new image. */
function execFacts(rec: TraceRecord): ExecFacts {
  return {
    exepath: itemString(rec, ItemTag.Exe),
    cmdline: itemList(rec, ItemTag.Cmdline),
    comm: itemString(rec, ItemTag.Comm),
    cwd: itemString(rec, ItemTag.Cwd),
    env: itemList(rec, ItemTag.Env),
    creds: itemCreds(rec),
  };
}

export class EventBuilder {
  private num = 0;
  /**
   * lazyFds: the tracer does not stop on every syscall that changes an fd
   * table (close, accept, socket...: detection.ts syscallSet), so the
   * state's table may hold fds closed since: an event's fd comes from the
   * kernel's facts in its record (FdFacts), never from the table alone.
   */
  constructor(
    private readonly state: ProcessTable,
    private readonly names: Map<number, string>,
    private readonly lazyFds = false,
  ) {}

  /** Applies a record to the state; returns the Falco event for syscall records. */
  apply(rec: TraceRecord): SyscallEvent | undefined {
    switch (rec.kind) {
      case RecordKind.Syscall:
        return this.syscall(rec);
      case RecordKind.Clone:
        this.state.onClone(rec.tid, rec.pid, rec.args[0]!, (rec.flags & RecordFlag.Thread) !== 0, rec.ts);
        return undefined;
      case RecordKind.Exec:
        if (rec.flags & RecordFlag.Entered) {
          this.state.onEnter(rec.pid, rec.args[1]!, execFacts(rec));
          return undefined;
        }
        this.state.onExec(
          rec.pid,
          rec.args[0]! || rec.pid,
          execFacts(rec),
          (rec.flags & RecordFlag.Main) !== 0,
        );
        return undefined;
      case RecordKind.Exit:
        this.state.onExit(rec.tid, (rec.flags & RecordFlag.Leader) !== 0);
        return undefined;
      default:
        return undefined;
    }
  }

  private syscall(rec: TraceRecord): SyscallEvent | undefined {
    if (rec.flags & RecordFlag.Foreign) return undefined; // reported by counters, not decoded
    const type = this.names.get(rec.nr);
    if (type === undefined) return undefined;
    const proc = this.state.byTid(rec.tid, rec.pid);
    const hasRet = (rec.flags & RecordFlag.HasRet) !== 0;
    const res = hasRet ? rec.ret : 0;
    const args: SyscallEvent['args'] = {};
    const regs = REGS[type] ?? [];
    for (let i = 0; i < regs.length; i++) {
      const name = regs[i];
      if (name === null || name === undefined) continue;
      // `type` is a string for mount(2) (the filesystem type), a number for socket(2)
      if (STRING_PARAMS.has(name) || (name === 'type' && type === 'mount')) {
        const s = itemString(rec, ItemTag.Arg0 + i);
        if (s !== undefined) args[name] = s;
      } else {
        const v = rec.args[i]!;
        args[name] = UNSIGNED_PARAMS.has(name) ? v >>> 0 : v | 0;
      }
    }
    if (hasRet) args.res = res;
    // The kernel's cwd, read at a relative path's stop: chdir may be untraced.
    const cwd = itemString(rec, ItemTag.Cwd);
    if (cwd !== undefined) proc.cwd = cwd;
    // A dirfd's path as the kernel has it (native A_DIRFD): the fd may be one
    // the state never saw (an open the pre-filter skipped, an fd received
    // over a socket); relative paths below resolve through it.
    for (const tag of rec.items.keys()) {
      if (tag < ItemTag.Dir0 || tag >= ItemTag.Dir0 + 6) continue;
      const dir = itemString(rec, tag)!;
      const num = rec.args[tag - ItemTag.Dir0]! | 0;
      const known = proc.fds.get(num);
      if (!known) proc.fds.set(num, { num, type: 'directory', name: dir } as FdEntry);
      else if ((known.type === 'file' || known.type === 'directory') && known.name !== dir) proc.fds.set(num, { ...known, name: dir });
    }
    const evt: SyscallEvent = { num: ++this.num, ts: rec.ts, type, tid: rec.tid, res, args, proc };
    this.decode(type, rec, evt, proc, hasRet);
    return evt;
  }

  /**
   * The fd of argument i. Lazy table: the kernel's facts in the record
   * (merged with the state's entry when it is the same object), nothing
   * without them (the entry may be stale). Exact table: the state's entry,
   * the facts when it has none.
   */
  private fdArg(rec: TraceRecord, p: ProcessInfo, i: number, isClient?: boolean): FdEntry | undefined {
    const num = rec.args[i]! | 0;
    const facts = itemFdFacts(rec, ItemTag.Fd0 + i);
    const cached = p.fds.get(num) as FdEntry | undefined;
    // An exact table is libsinsp's view, event by event (a capture is read
    // back against it): the facts fill only what it does not know.
    if (!this.lazyFds && cached) return cached;
    if (facts === undefined) return this.lazyFds ? undefined : cached;
    const fd = fdFromFacts(facts, cached, isClient);
    p.fds.set(num, fd);
    return fd;
  }

  /** Per-family decoding and state changes. */
  private decode(type: string, rec: TraceRecord, evt: SyscallEvent, p: ProcessInfo, hasRet: boolean): void {
    const a = evt.args;
    const ok = hasRet && evt.res >= 0;
    switch (type) {
      case 'open':
      case 'openat':
      case 'openat2':
      case 'creat': {
        if (type === 'openat2') {
          const how = rec.items.get(ItemTag.Arg0 + 2);
          if (how && how.length >= 24) {
            a.flags = Number(how.readBigUInt64LE(0) & 0xffffffffn);
            a.mode = Number(how.readBigUInt64LE(8) & 0xffffffffn);
            a.resolve = Number(how.readBigUInt64LE(16) & 0xffffffffn);
          }
        }
        if (type === 'creat') a.flags = 0o1101; // O_WRONLY|O_CREAT|O_TRUNC
        const raw = (a.name as string | undefined) ?? '';
        const flags = (a.flags as number | undefined) ?? 0;
        const name = resolvePath(p, raw, type === 'open' || type === 'creat' ? undefined : (a.dirfd as number));
        const fd: FdEntry = {
          num: ok ? evt.res : -1,
          type: flags & O_DIRECTORY ? 'directory' : 'file',
          name,
          nameRaw: raw,
          openFlags: flags,
          mode: a.mode as number | undefined,
          cloexec: (flags & O_CLOEXEC) !== 0,
        };
        if (hasRet) a.fd = evt.res;
        evt.fd = fd;
        if (ok) p.fds.set(evt.res, fd);
        return;
      }
      case 'close': {
        const num = a.fd as number;
        evt.fd = this.fdArg(rec, p, 0);
        if (!hasRet || evt.res === 0) p.fds.delete(num);
        return;
      }
      case 'dup':
      case 'dup2':
      case 'dup3': {
        const old = this.fdArg(rec, p, 0);
        evt.fd = old;
        if (ok) duplicate(p, old, evt.res, type === 'dup3' && ((a.flags as number) & O_CLOEXEC) !== 0);
        return;
      }
      case 'fcntl': {
        const fd = this.fdArg(rec, p, 0);
        evt.fd = fd;
        const cmd = a.cmd as number;
        if (ok && (cmd === F_DUPFD || cmd === F_DUPFD_CLOEXEC)) {
          duplicate(p, fd, evt.res, cmd === F_DUPFD_CLOEXEC);
        } else if (ok && fd && cmd === F_SETFD) {
          p.fds.set(fd.num, { ...fd, cloexec: (rec.args[2]! & 1) === 1 } as FdEntry);
        }
        return;
      }
      case 'chdir':
        if (ok) p.cwd = resolvePath(p, (a.path as string) ?? '');
        return;
      case 'fchdir': {
        const d = this.fdArg(rec, p, 0);
        evt.fd = d;
        // the kernel's answer (native SF_CWD): the fd may be one we never saw
        if (ok) p.cwd = itemString(rec, ItemTag.Cwd) ?? d?.name ?? p.cwd;
        return;
      }
      case 'pipe':
      case 'pipe2': {
        const pair = rec.items.get(ItemTag.Out0);
        if (ok && pair && pair.length >= 8) {
          const r = pair.readInt32LE(0);
          const w = pair.readInt32LE(4);
          a.fd1 = r;
          a.fd2 = w;
          const cloexec = type === 'pipe2' && ((a.flags as number) & O_CLOEXEC) !== 0;
          p.fds.set(r, { num: r, type: 'pipe', name: '', cloexec } as FdEntry);
          p.fds.set(w, { num: w, type: 'pipe', name: '', cloexec } as FdEntry);
        }
        return;
      }
      case 'memfd_create': {
        const fd: FdEntry = { num: evt.res, type: 'memfd', name: `memfd:${(a.name as string) ?? ''}` };
        if (ok) {
          p.fds.set(evt.res, fd);
          evt.fd = fd;
        }
        return;
      }
      case 'socket': {
        const domain = a.domain as number;
        const stype = (a.type as number) & SOCK_TYPE_MASK;
        const sock: SocketInfo = {
          domain,
          l4proto: stype === 1 ? 'tcp' : stype === 2 ? 'udp' : stype === 3 ? 'raw' : undefined,
          connected: false,
        };
        const fd: FdEntry = {
          num: evt.res,
          type:
            domain === AF_INET ? 'ipv4' : domain === AF_INET6 ? 'ipv6' : domain === AF_UNIX ? 'unix' : domain === AF_NETLINK ? 'netlink' : 'unknown',
          name: '',
          sock,
          cloexec: ((a.type as number) & SOCK_CLOEXEC) !== 0,
        };
        if (ok) {
          p.fds.set(evt.res, fd);
          evt.fd = fd;
        }
        return;
      }
      case 'socketpair': {
        const pair = rec.items.get(ItemTag.Out0 + 3);
        if (ok && pair && pair.length >= 8) {
          for (const n of [pair.readInt32LE(0), pair.readInt32LE(4)]) {
            p.fds.set(n, { num: n, type: 'unix', name: '', sock: { domain: AF_UNIX, connected: true } });
          }
          a.fd1 = pair.readInt32LE(0);
          a.fd2 = pair.readInt32LE(4);
        }
        return;
      }
      case 'connect':
      case 'sendto':
      case 'sendmsg': {
        const regIdx = type === 'connect' ? 1 : type === 'sendto' ? 4 : 1;
        const remote = parseSockaddr(rec.items.get(ItemTag.Arg0 + regIdx));
        const local = parseSockaddr(rec.items.get(ItemTag.Local));
        const fd = this.fdArg(rec, p, 0, type === 'connect' ? true : undefined);
        if (remote !== undefined) a.addr = renderSockaddr(remote);
        const connected = type === 'connect' && hasRet && (evt.res === 0 || evt.res === -EINPROGRESS);
        if (fd && remote !== undefined && (connected || (type !== 'connect' && ok))) {
          const updated = withPeer(fd, local, remote, true);
          if (type === 'connect') p.fds.set(fd.num, updated);
          evt.fd = updated;
        } else {
          evt.fd = fd;
        }
        if (evt.fd?.sock && remote) a.tuple = evt.fd.name;
        return;
      }
      case 'bind': {
        const addr = parseSockaddr(rec.items.get(ItemTag.Arg0 + 1));
        a.addr = renderSockaddr(addr);
        // The facts are read at the bind's exit, the socket bound already: the
        // bind event itself says what it binds, as in libsinsp.
        const facts = this.fdArg(rec, p, 0, false);
        const fd = facts?.sock && !facts.sock.connected && facts.type !== 'unix' ? { ...facts, sock: { domain: facts.sock.domain, l4proto: facts.sock.l4proto, connected: false } } : facts;
        evt.fd = fd;
        if (ok && fd?.sock && addr) {
          // named by the address as bound (libsinsp: `127.0.0.1:0`, a unix path), seen by the bind itself;
          // as in libsinsp, an inet socket bound to port 0 (ephemeral) does not become a server socket
          const server = addr.path !== undefined || (addr.port ?? 0) > 0;
          const sock = server ? { ...fd.sock, serverIp: addr.ip, serverPort: addr.port, isClient: false, path: addr.path } : fd.sock;
          const bound = { ...fd, sock, name: renderSockaddr(addr) ?? fd.name };
          p.fds.set(fd.num, bound);
          evt.fd = bound;
        }
        return;
      }
      case 'listen':
        evt.fd = this.fdArg(rec, p, 0, false);
        return;
      case 'accept':
      case 'accept4': {
        const listener = this.fdArg(rec, p, 0, false);
        const peer = parseSockaddr(rec.items.get(ItemTag.Out0 + 1));
        const local = parseSockaddr(rec.items.get(ItemTag.Local));
        if (ok) {
          const base: FdEntry = {
            num: evt.res,
            type: listener?.type ?? (peer?.family === AF_INET6 ? 'ipv6' : peer?.family === AF_UNIX ? 'unix' : 'ipv4'),
            name: listener?.type === 'unix' ? listener.name : '',
            sock: { domain: listener?.sock?.domain ?? peer?.family ?? AF_INET, l4proto: listener?.sock?.l4proto ?? 'tcp', connected: true },
            cloexec: type === 'accept4' && ((a.flags as number) & SOCK_CLOEXEC) !== 0,
          };
          const fd = peer !== undefined && local !== undefined ? withPeer(base, peer, local, false) : base;
          p.fds.set(evt.res, fd);
          evt.fd = fd;
          a.tuple = fd.name;
        } else {
          evt.fd = listener;
        }
        return;
      }
      case 'recvfrom':
      case 'recvmsg': {
        evt.fd = this.fdArg(rec, p, 0);
        const from = parseSockaddr(rec.items.get(ItemTag.Out0 + (type === 'recvfrom' ? 4 : 1)));
        if (from && evt.fd) a.tuple = `${renderSockaddr(from)}->${evt.fd.name}`;
        return;
      }
      case 'execve':
      case 'execveat': {
        // the state already holds the new image (the exec record came first)
        a.exe = p.exe;
        a.args = p.args.join(' ');
        a.tid = evt.tid;
        a.pid = p.pid;
        a.ptid = p.parent?.pid ?? 0;
        a.cwd = p.cwd;
        a.comm = p.comm;
        a.uid = p.uid;
        a.gid = p.gid;
        a.loginuid = p.loginuid;
        a.tty = p.tty;
        if (p.env) a.env = p.env.join('\0');
        if (type === 'execveat') a.pathname = resolvePath(p, (a.pathname as string) ?? '', a.dirfd as number);
        return;
      }
      case 'fchmod':
      case 'finit_module':
      case 'setns':
        evt.fd = this.fdArg(rec, p, 0);
        return;
      case 'unlinkat':
      case 'mkdirat':
      case 'fchmodat':
      case 'symlinkat':
      case 'renameat':
      case 'renameat2':
      case 'linkat':
        // relative paths resolved like Falco's fsrelpath; rules read evt.arg.* and fd.name
        resolveRel(p, a, type);
        return;
      case 'capset':
      case 'setuid':
      case 'setgid':
      case 'setreuid':
      case 'setregid':
      case 'setresuid':
      case 'setresgid':
      case 'setfsuid':
      case 'setfsgid': {
        const creds = itemCreds(rec);
        if (creds) this.state.applyCreds(p, creds);
        return;
      }
      default:
        return;
    }
  }
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
    return f.domain === AF_INET ? 'ipv4' : f.domain === AF_UNIX ? 'unix' : f.domain === AF_NETLINK ? 'netlink' : 'unknown';
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
export function fdFromFacts(f: FdFacts, cached: FdEntry | undefined, isClient?: boolean): FdEntry {
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

/** `to` becomes a copy of `from`; a copy of an fd we do not know leaves `to` unknown (whatever it was is gone). */
function duplicate(p: ProcessInfo, from: FdEntry | undefined, to: number, cloexec: boolean): void {
  if (from) p.fds.set(to, { ...from, num: to, cloexec } as FdEntry);
  else p.fds.delete(to);
}

function resolveRel(p: ProcessInfo, a: SyscallEvent['args'], type: string): void {
  const pairs: [string, string][] =
    type === 'unlinkat'
      ? [['name', 'dirfd']]
      : type === 'mkdirat'
        ? [['path', 'dirfd']]
        : type === 'fchmodat'
          ? [['filename', 'dirfd']]
          : type === 'symlinkat'
            ? [['linkpath', 'linkdirfd']]
            : type === 'linkat'
              ? [
                  ['oldpath', 'olddir'],
                  ['newpath', 'newdir'],
                ]
              : [
                  ['oldpath', 'olddirfd'],
                  ['newpath', 'newdirfd'],
                ];
  for (const [param, dirfd] of pairs) {
    const v = a[param];
    if (typeof v === 'string') a[param] = resolvePath(p, v, a[dirfd] as number);
  }
}

/**
 * A socket fd with its tuple filled in. `client` is our local address when
 * isClient (connect, sendto), the peer after accept; `server` the other end.
 */
function withPeer(fd: FdInfo, client: SockAddr | undefined, server: SockAddr, isClient: boolean): FdEntry {
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
