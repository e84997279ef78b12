// From tracer records to Falco syscall events with their process and fd:
// each syscall record becomes one exit event carrying its entry arguments (by
// Falco parameter name) and its result (src/events/decode.ts), with the acting
// process and the fd it refers to. Lifecycle records (clone, exec, exit)
// update the state only. This file decides which transition each event
// makes; how the process table and an fd table change is in processes.ts and
// fds.ts.
import { ItemTag, RecordFlag, RecordKind, itemCreds, itemFdFacts, itemString, type TraceRecord } from '../tracer/index.js';
import type { ProcessInfo, SocketInfo, SyscallEvent } from '../events/model.js';
import { decodeSyscall, execFacts, localAddr, sockaddrArg } from '../events/decode.js';
import { AF_INET, AF_INET6, AF_UNIX, renderSockaddr } from '../events/sockaddr.js';
import { exeFlags } from '../model/flags.js';
import { SYSCALLS, syscallsWith } from '../model/syscalls.js';
import * as fds from './fds.js';
import type { FdEntry } from './fds.js';
import type { ProcessTable } from './processes.js';

const SOCK_TYPE_MASK = 0xf;
const SOCK_CLOEXEC = 0o2000000;
const F_DUPFD = 0;
const F_SETFD = 2;
const F_DUPFD_CLOEXEC = 1030;
const FD_CLOEXEC = 1;
const O_DIRECTORY = 0o200000;
const EINPROGRESS = 115;

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
        this.state.onExec(rec.pid, rec.args[0]! || rec.pid, execFacts(rec), (rec.flags & RecordFlag.Main) !== 0);
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
    const { res, args, hasRet } = decodeSyscall(rec, type);
    // The kernel's cwd, read at a relative path's stop: chdir may be untraced.
    const cwd = itemString(rec, ItemTag.Cwd);
    if (cwd !== undefined) proc.cwd = cwd;
    // A dirfd's path as the kernel has it (native A_DIRFD): relative paths below resolve through it.
    for (const tag of rec.items.keys()) {
      if (tag < ItemTag.Dir0 || tag >= ItemTag.Dir0 + 6) continue;
      fds.learnDir(proc, rec.args[tag - ItemTag.Dir0]! | 0, itemString(rec, tag)!);
    }
    const evt: SyscallEvent = { num: ++this.num, ts: rec.ts, type, tid: rec.tid, res, args, proc };
    this.transition(rec, evt, proc, hasRet);
    return evt;
  }

  /** The fd of argument i, as the event sees it (fds.observe). */
  private fdArg(rec: TraceRecord, p: ProcessInfo, i: number, isClient?: boolean): FdEntry | undefined {
    return fds.observe(p, rec.args[i]! | 0, itemFdFacts(rec, ItemTag.Fd0 + i), this.lazyFds, isClient);
  }

  /** The fd the event refers to, and the state change it makes. */
  private transition(rec: TraceRecord, evt: SyscallEvent, p: ProcessInfo, hasRet: boolean): void {
    const { type, args: a } = evt;
    const ok = hasRet && evt.res >= 0;
    if (CREDS.has(type)) {
      // the record carries the credentials after the call (native SF_CREDS)
      const creds = itemCreds(rec);
      if (creds) this.state.applyCreds(p, creds);
      return;
    }
    switch (type) {
      case 'open':
      case 'openat':
      case 'openat2':
      case 'creat': {
        const raw = (a.name as string | undefined) ?? '';
        const flags = (a.flags as number | undefined) ?? 0;
        const fd: FdEntry = {
          num: ok ? evt.res : -1,
          type: flags & O_DIRECTORY ? 'directory' : 'file',
          name: fds.resolvePath(p, raw, type === 'open' || type === 'creat' ? undefined : (a.dirfd as number)),
          nameRaw: raw,
          openFlags: flags,
          mode: a.mode as number | undefined,
          cloexec: (flags & fds.O_CLOEXEC) !== 0,
        };
        evt.fd = fd;
        if (ok) fds.set(p, fd);
        return;
      }
      case 'close':
        evt.fd = this.fdArg(rec, p, 0);
        if (!hasRet || evt.res === 0) fds.close(p, a.fd as number);
        return;
      case 'dup':
      case 'dup2':
      case 'dup3': {
        const old = this.fdArg(rec, p, 0);
        evt.fd = old;
        if (ok) fds.dup(p, old, evt.res, type === 'dup3' && ((a.flags as number) & fds.O_CLOEXEC) !== 0);
        return;
      }
      case 'fcntl': {
        const fd = this.fdArg(rec, p, 0);
        evt.fd = fd;
        const cmd = a.cmd as number;
        if (ok && (cmd === F_DUPFD || cmd === F_DUPFD_CLOEXEC)) fds.dup(p, fd, evt.res, cmd === F_DUPFD_CLOEXEC);
        else if (ok && fd && cmd === F_SETFD) fds.setCloexec(p, fd, (rec.args[2]! & FD_CLOEXEC) !== 0);
        return;
      }
      case 'chdir':
        if (ok) p.cwd = fds.resolvePath(p, (a.path as string) ?? '');
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
        const cloexec = type === 'pipe2' && ((a.flags as number) & fds.O_CLOEXEC) !== 0;
        if (a.fd1 !== undefined) fds.pair(p, [a.fd1 as number, a.fd2 as number], (num) => ({ num, type: 'pipe', name: '', cloexec }));
        return;
      }
      case 'socketpair':
        if (a.fd1 !== undefined) {
          fds.pair(p, [a.fd1 as number, a.fd2 as number], (num) => ({ num, type: 'unix', name: '', sock: { domain: AF_UNIX, connected: true } }));
        }
        return;
      case 'memfd_create':
        if (ok) {
          evt.fd = { num: evt.res, type: 'memfd', name: `memfd:${(a.name as string) ?? ''}` };
          fds.set(p, evt.fd);
        }
        return;
      case 'socket': {
        const domain = a.domain as number;
        const stype = (a.type as number) & SOCK_TYPE_MASK;
        const sock: SocketInfo = {
          domain,
          l4proto: stype === 1 ? 'tcp' : stype === 2 ? 'udp' : stype === 3 ? 'raw' : undefined,
          connected: false,
        };
        if (ok) {
          evt.fd = { num: evt.res, type: fds.socketType(domain), name: '', sock, cloexec: ((a.type as number) & SOCK_CLOEXEC) !== 0 } as FdEntry;
          fds.set(p, evt.fd);
        }
        return;
      }
      case 'connect':
      case 'sendto':
      case 'sendmsg': {
        const remote = sockaddrArg(rec, type);
        const fd = this.fdArg(rec, p, 0, type === 'connect' ? true : undefined);
        const connected = type === 'connect' && hasRet && (evt.res === 0 || evt.res === -EINPROGRESS);
        if (fd && remote !== undefined && (connected || (type !== 'connect' && ok))) {
          const updated = fds.withPeer(fd, localAddr(rec), remote, true);
          if (type === 'connect') fds.set(p, updated);
          evt.fd = updated;
        } else {
          evt.fd = fd;
        }
        if (evt.fd?.sock && remote) a.tuple = evt.fd.name;
        return;
      }
      case 'bind': {
        const addr = sockaddrArg(rec, type);
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
          fds.set(p, bound);
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
        const peer = sockaddrArg(rec, type);
        const local = localAddr(rec);
        if (ok) {
          const base: FdEntry = {
            num: evt.res,
            type: listener?.type ?? (peer?.family === AF_INET6 ? 'ipv6' : peer?.family === AF_UNIX ? 'unix' : 'ipv4'),
            name: listener?.type === 'unix' ? listener.name : '',
            sock: { domain: listener?.sock?.domain ?? peer?.family ?? AF_INET, l4proto: listener?.sock?.l4proto ?? 'tcp', connected: true },
            cloexec: type === 'accept4' && ((a.flags as number) & SOCK_CLOEXEC) !== 0,
          };
          const fd = peer !== undefined && local !== undefined ? fds.withPeer(base, peer, local, false) : base;
          fds.set(p, fd);
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
        const from = sockaddrArg(rec, type);
        if (from && evt.fd) a.tuple = `${renderSockaddr(from)}->${evt.fd.name}`;
        return;
      }
      case 'execve':
      case 'execveat':
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
        a.flags = exeFlags(p);
        if (p.env) a.env = p.env.join('\0');
        if (type === 'execveat') a.pathname = fds.resolvePath(p, (a.pathname as string) ?? '', a.dirfd as number);
        return;
      case 'fchmod':
      case 'finit_module':
      case 'setns':
        evt.fd = this.fdArg(rec, p, 0);
        return;
      default:
        // the *at calls: relative paths resolved like Falco's fsrelpath; rules read evt.arg.*
        resolveRel(p, a, type);
        return;
    }
  }
}

/** The calls whose record carries the credentials after the call. */
const CREDS: ReadonlySet<string> = new Set(syscallsWith('creds'));

/**
 * The (path parameter, its dirfd parameter) pairs of the *at calls that
 * resolve in place: the table's fsrelpath links, but an open's (its fd.name
 * is the resolved path, the parameter stays as passed) and an exec's (below).
 */
const REL_PATHS: ReadonlyMap<string, [string, string][]> = new Map(
  SYSCALLS.filter((r) => !r.open && !r.exec)
    .map((r) => [r.name, r.params.filter((x) => x.type === 'fsrelpath' && x.dirfd).map((x): [string, string] => [x.name, x.dirfd!])] as const)
    .filter(([, pairs]) => pairs.length > 0),
);

function resolveRel(p: ProcessInfo, a: SyscallEvent['args'], type: string): void {
  for (const [param, dirfd] of REL_PATHS.get(type) ?? []) {
    const v = a[param];
    if (typeof v === 'string') a[param] = fds.resolvePath(p, v, a[dirfd] as number);
  }
}
