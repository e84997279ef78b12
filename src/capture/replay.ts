// Replay: a scap capture (ours or a kernel driver's) through the agent's own
// pipeline. The file's tables seed the state (processes, fds, users, as
// libsinsp loads them); each event, paired with its enter event, becomes the
// tracer record(s) the live agent would have received, so the same
// EventBuilder, ProcessTable, rules engine and alert formatting run on it.
// evt.num is the event's ordinal in the file, as sysdig numbers it.
import { ItemTag, RecordFlag, RecordKind, type TraceRecord } from '../tracer/index.js';
import { EventBuilder } from '../state/builder.js';
import { captureIndex, registerParams, syscallsWith } from '../model/syscalls.js';
import { ProcessTable } from '../state/processes.js';
import { UserDb } from '../state/users.js';
import type { ContainerInfo, FdInfo, L4Proto, ProcessInfo, SyscallEvent } from '../events/model.js';
import { parseSockaddr } from '../events/sockaddr.js';
import { CaptureError, readBlocks, type FdEntryRecord, type ScapEvent, type ThreadEntry } from './reader.js';
import {
  EVENTS,
  cloneFlagsFromPpm,
  cstr,
  cstrList,
  decodeParam,
  fcntlCmdFromPpm,
  openFlagsFromPpm,
  ptraceReqFromPpm,
  resolveFromPpm,
  sockaddrToLinux,
  syscallOfEvent,
  tupleToLinux,
  PPM_CL_CLONE_THREAD,
} from './scap.js';

export interface ReplayCounters {
  /** Event blocks read (the last evt.num). */
  events: number;
  /** Syscall events built and evaluated by the rules. */
  evaluated: number;
  /** Events of types this libs version does not know (newer captures): skipped. */
  unknownTypes: number;
  /** Events the agent does not decode (syscalls its tracer does not stop on, internal events): used for numbering only. */
  notDecoded: number;
}

export interface ReplayResult {
  counters: ReplayCounters;
  hostname: string;
  container: ContainerInfo;
  /** The error that stopped the walk (truncated or corrupt file), with its offset; everything before it was evaluated. */
  error?: string;
}

const PROCEXIT = new Set([186, 16]);
const CONTAINER_JSON = new Set([272, 228, 324]);
const EXEC = new Set(syscallsWith('exec'));
const CLONE = new Set(syscallsWith('clone'));
const OPENS = new Set(syscallsWith('open'));
const SETID = new Set(['setuid', 'setgid', 'setresuid', 'setresgid', 'setreuid', 'setregid']);

type Merged = Map<string, { type: string; buf: Buffer }>;

/** Enter and exit parameters by name (the exit's win). */
function merge(enter: ScapEvent | undefined, exit: ScapEvent): Merged {
  const m: Merged = new Map();
  for (const e of enter ? [enter, exit] : [exit]) {
    const info = EVENTS[e.type]!;
    e.params.forEach((buf, i) => {
      const p = info.params[i];
      if (p && buf.length > 0) m.set(p.name, { type: p.type, buf });
    });
  }
  return m;
}

function num(m: Merged, name: string): number | undefined {
  const v = m.get(name);
  if (!v) return undefined;
  const d = decodeParam(v.type, v.buf);
  return typeof d === 'number' ? d : typeof d === 'bigint' ? Number(d) : undefined;
}

function str(m: Merged, name: string): string | undefined {
  const v = m.get(name);
  return v ? cstr(v.buf) : undefined;
}

/** Credentials as the tracer reports them (layout of records.ts itemCreds), from the state plus changes. */
function credsItem(p: ProcessInfo, o: { euid?: number; egid?: number; loginuid?: number; tty?: number; pgid?: number }): Buffer {
  const b = Buffer.alloc(88);
  const uid = o.euid ?? p.euid;
  const gid = o.egid ?? p.egid;
  for (let i = 0; i < 4; i++) b.writeUInt32LE(uid >>> 0, i * 4);
  for (let i = 0; i < 4; i++) b.writeUInt32LE(gid >>> 0, 16 + i * 4);
  b.writeBigUInt64LE(p.capInheritable, 32);
  b.writeBigUInt64LE(p.capPermitted, 40);
  b.writeBigUInt64LE(p.capEffective, 48);
  b.writeUInt32LE((o.loginuid ?? p.loginuid) >>> 0, 56);
  b.writeInt32LE(p.vpid, 60);
  b.writeInt32LE(p.parent?.pid ?? 0, 64);
  b.writeInt32LE(p.sid, 68);
  b.writeInt32LE(o.pgid ?? p.vpgid, 72);
  b.writeInt32LE(o.tty ?? p.tty, 76);
  return b;
}

const L4: Record<number, L4Proto> = { 2: 'tcp', 3: 'udp', 4: 'icmp', 5: 'raw' };
const FD_TYPES: Record<number, FdInfo['type']> = { 1: 'file', 16: 'file', 2: 'directory', 7: 'pipe', 9: 'event', 10: 'unknown', 11: 'signalfd', 12: 'eventpoll', 13: 'inotify', 14: 'timerfd', 15: 'netlink' };

/** An fd of a capture's fd list as the state keeps it (names as libsinsp builds them). */
function fdFromTable(f: FdEntryRecord): FdInfo | undefined {
  if (f.type === 3 || f.type === 4 || f.type === 5 || f.type === 6) {
    const server = parseSockaddr(f.dst);
    const client = f.src ? parseSockaddr(f.src) : undefined;
    const connected = f.type === 3 || f.type === 4;
    const type = f.type === 3 || f.type === 5 ? 'ipv4' : 'ipv6';
    return {
      num: f.fd,
      type,
      ino: f.ino,
      name: connected ? `${client?.ip}:${client?.port}->${server?.ip}:${server?.port}` : `${server?.ip}:${server?.port}`,
      sock: {
        domain: type === 'ipv4' ? 2 : 10,
        l4proto: L4[f.l4proto ?? 0],
        clientIp: client?.ip,
        clientPort: client?.port,
        serverIp: server?.ip,
        serverPort: server?.port,
        isClient: connected ? true : false,
        connected,
      },
    };
  }
  if (f.type === 8) return { num: f.fd, type: 'unix', ino: f.ino, name: f.name ?? '', sock: { domain: 1, connected: true, path: f.name } };
  const type = FD_TYPES[f.type];
  if (!type) return undefined;
  return { num: f.fd, type, ino: f.ino, name: f.name ?? '', ...(f.openFlags !== undefined ? { openFlags: openFlagsFromPpm(f.openFlags) } : {}) };
}

export interface ReplayOptions {
  /** Called with every event the agent builds (after state), numbered as in the file, with the file's host and container. */
  onEvent(evt: SyscallEvent, file: { hostname: string; container: ContainerInfo }): void;
  /** Syscall name -> x86_64 number, as the tracer knows them (src/tracer knownSyscalls()). */
  syscalls: Record<string, number>;
}

/** Replays an uncompressed capture. Never throws on bad input: the error is returned with what was read before it. */
export function replay(data: Buffer, o: ReplayOptions): ReplayResult {
  const container: ContainerInfo = { id: 'host', privileged: false };
  const counters: ReplayCounters = { events: 0, evaluated: 0, unknownTypes: 0, notDecoded: 0 };
  let hostname = '';
  let users = UserDb.fromLists([], []);
  let table: ProcessTable | undefined;
  let builder: EventBuilder | undefined;
  const names = new Map<number, string>(Object.entries(o.syscalls).map(([n, nr]) => [nr, n]));
  const pending = new Map<number, ScapEvent>();

  const ensureState = (): { t: ProcessTable; b: EventBuilder } => {
    if (!table || !builder) {
      table = new ProcessTable(container, users, false);
      builder = new EventBuilder(table, names);
    }
    return { t: table, b: builder };
  };

  const loadThreads = (threads: ThreadEntry[]): void => {
    const { t } = ensureState();
    for (const th of threads) {
      const p = t.byTid(th.tid, th.pid);
      if (th.tid !== th.pid && p.comm !== '') continue; // the leader's entry describes the process
      p.comm = th.comm;
      p.exe = th.exe;
      p.exepath = th.exepath || th.exe;
      p.args = th.args;
      p.cwd = th.cwd.replace(/(.)\/$/, '$1');
      p.env = th.env;
      p.uid = p.euid = th.uid;
      p.gid = p.egid = th.gid;
      p.user = users.user(th.uid);
      p.group = users.group(th.gid);
      p.loginuid = th.loginuid === 0xffffffff ? -1 : th.loginuid;
      if (p.loginuid >= 0) p.loginuser = users.user(p.loginuid);
      p.vpid = th.vpid;
      p.sid = th.sid;
      p.vpgid = th.vpgid;
      p.exeWritable = th.exeWritable;
    }
    for (const th of threads) {
      const p = t.get(th.pid);
      // a parent outside the table stays unknown (<NA>), as in libsinsp
      if (p && !p.parent && th.ptid > 0 && th.ptid !== th.pid) p.parent = t.get(th.ptid);
    }
  };

  const loadFds = (tid: number, fds: FdEntryRecord[]): void => {
    const { t } = ensureState();
    const p = t.byTid(tid);
    for (const f of fds) {
      const fd = fdFromTable(f);
      if (fd) p.fds.set(fd.num, fd);
    }
  };

  const emit = (rec: TraceRecord, number: number): void => {
    const { b } = ensureState();
    const evt = b.apply(rec);
    if (evt) {
      evt.num = number;
      counters.evaluated++;
      o.onEvent(evt, { hostname, container });
    }
  };

  const base = (e: ScapEvent, kind: RecordKind, pid: number): TraceRecord => ({
    kind, pid, tid: e.tid, ts: e.ts, nr: -1, flags: 0, ret: 0, args: [0, 0, 0, 0, 0, 0], items: new Map(),
  });

  /** The syscall record for a (merged) event, with registers and items where the tracer puts them. */
  const syscallRecord = (e: ScapEvent, name: string, m: Merged, p: ProcessInfo): TraceRecord | undefined => {
    const nr = o.syscalls[name];
    if (nr === undefined) return undefined;
    const rec = base(e, RecordKind.Syscall, p.pid);
    rec.nr = nr;
    const isExit = EVENTS[e.type]!.dir === 'X';
    if (isExit) {
      rec.flags |= RecordFlag.HasRet;
      const first = EVENTS[e.type]!.params[0];
      rec.ret = first && e.params[0]?.length ? Number(decodeParam(first.type, e.params[0]!)) : 0;
    }
    // the registers where the tracer puts them (src/model/syscalls.ts)
    registerParams(name).forEach(({ index: i, param: reg, string }) => {
      const key = name === 'dup' && reg === 'oldfd' ? 'fd' : reg;
      if (string) {
        const s = str(m, key);
        if (s !== undefined) {
          rec.items.set(ItemTag.Arg0 + i, Buffer.from(s, 'utf8'));
          rec.args[i] = 1;
        }
        return;
      }
      let v = num(m, key);
      if (v === undefined) return;
      if (reg === 'flags' && OPENS.has(name)) v = openFlagsFromPpm(v);
      else if (reg === 'flags' && (CLONE.has(name) || name === 'unshare')) v = cloneFlagsFromPpm(v);
      else if (reg === 'nstype') v = cloneFlagsFromPpm(v);
      else if (reg === 'cmd' && name === 'fcntl') v = fcntlCmdFromPpm(v);
      else if (reg === 'request' && name === 'ptrace') v = ptraceReqFromPpm(v);
      rec.args[i] = v;
    });
    const tuple = m.get('tuple') ? tupleToLinux(m.get('tuple')!.buf) : undefined;
    const addr = m.get('addr') ? sockaddrToLinux(m.get('addr')!.buf) : undefined;
    switch (name) {
      case 'openat2': {
        const how = Buffer.alloc(24);
        how.writeBigUInt64LE(BigInt(openFlagsFromPpm(num(m, 'flags') ?? 0)), 0);
        how.writeBigUInt64LE(BigInt(num(m, 'mode') ?? 0), 8);
        how.writeBigUInt64LE(BigInt(resolveFromPpm(num(m, 'resolve') ?? 0)), 16);
        rec.items.set(ItemTag.Arg0 + captureIndex(name, 'open_how'), how);
        break;
      }
      case 'connect':
      case 'sendto':
      case 'sendmsg': {
        const remote = tuple?.dst ?? addr;
        if (remote) rec.items.set(ItemTag.Arg0 + captureIndex(name, 'sockaddr', 'msghdr'), remote);
        if (tuple) rec.items.set(ItemTag.Local, tuple.src);
        break;
      }
      case 'bind':
        if (addr) rec.items.set(ItemTag.Arg0 + captureIndex(name, 'sockaddr'), addr);
        break;
      case 'accept':
      case 'accept4':
        if (tuple) {
          rec.items.set(ItemTag.Out0 + captureIndex(name, 'sockaddr_out'), tuple.src);
          rec.items.set(ItemTag.Local, tuple.dst);
        }
        break;
      case 'recvfrom':
      case 'recvmsg':
        if (tuple) rec.items.set(ItemTag.Out0 + captureIndex(name, 'sockaddr_out', 'msghdr_out'), tuple.src);
        break;
      case 'pipe': {
        const pair = Buffer.alloc(8);
        pair.writeInt32LE(num(m, 'fd1') ?? -1, 0);
        pair.writeInt32LE(num(m, 'fd2') ?? -1, 4);
        rec.items.set(ItemTag.Out0 + captureIndex(name, 'fdpair_out'), pair);
        break;
      }
      default:
        if (SETID.has(name) && rec.ret === 0) {
          const set = (v: number | undefined) => (v === undefined || v === -1 || v === 0xffffffff ? undefined : v);
          const isGid = name.endsWith('gid');
          const id = set(num(m, isGid ? (name === 'setgid' ? 'gid' : 'egid') : name === 'setuid' ? 'uid' : 'euid'));
          rec.items.set(ItemTag.Creds, credsItem(p, isGid ? { egid: id } : { euid: id }));
        }
    }
    return rec;
  };

  const onEvent = (e: ScapEvent): void => {
    const info = EVENTS[e.type]!;
    const { t } = ensureState();
    if (CONTAINER_JSON.has(e.type)) {
      try {
        const c = JSON.parse(cstr(e.params[0] ?? Buffer.alloc(0))).container ?? {};
        if (typeof c.id === 'string') container.id = c.id;
        if (c.name) container.name = c.name;
        if (c.image) container.image = c.image;
        if (c.imagerepo) container.imageRepository = c.imagerepo;
        if (c.imagetag) container.imageTag = c.imagetag;
        if (typeof c.privileged === 'boolean') container.privileged = c.privileged;
      } catch {
        // a malformed container event changes nothing
      }
      return;
    }
    if (PROCEXIT.has(e.type)) {
      const pid = t.byTid(e.tid).pid;
      const rec = base(e, RecordKind.Exit, pid);
      rec.args[0] = Number(decodeParam('ERRNO', e.params[0] ?? Buffer.alloc(8)));
      if (pid === e.tid) rec.flags |= RecordFlag.Leader;
      emit(rec, e.num);
      pending.delete(e.tid);
      return;
    }
    const pairNext = EVENTS[e.type + 1];
    if (info.dir === 'E' && pairNext?.dir === 'X' && pairNext.name === info.name) {
      pending.set(e.tid, e);
      return;
    }
    if (info.dir !== 'X') {
      counters.notDecoded++;
      return;
    }
    const enterCandidate = pending.get(e.tid);
    const enter = enterCandidate && enterCandidate.type === e.type - 1 ? enterCandidate : undefined;
    pending.delete(e.tid);
    const name = syscallOfEvent(e.type) ?? info.name;
    const m = merge(enter, e);
    const res = num(m, info.params[0]?.name ?? 'res') ?? 0;

    if (CLONE.has(name)) {
      const caller = t.byTid(e.tid);
      const flags = num(m, 'flags') ?? 0;
      const thread = (flags & PPM_CL_CLONE_THREAD) !== 0;
      const child = res > 0 ? res : res === 0 ? e.tid : -1;
      if (child > 0 && t.get(child) === undefined && ![...t.threadEntries()].some(([tid]) => tid === child)) {
        const parentPid = res > 0 ? caller.pid : (t.get(num(m, 'ptid') ?? 0)?.pid ?? num(m, 'ptid') ?? 0);
        const childPid = thread ? (res > 0 ? caller.pid : num(m, 'pid') ?? child) : child;
        const rec = base(e, RecordKind.Clone, childPid);
        rec.tid = child;
        rec.args[0] = parentPid;
        if (thread) rec.flags |= RecordFlag.Thread;
        emit(rec, e.num);
        const p = t.get(childPid);
        if (p && p.comm === '') {
          // a parent we never saw: the event describes the child (as libsinsp fills it)
          p.comm = str(m, 'comm') ?? '';
          p.exe = str(m, 'exe') ?? '';
          p.args = m.get('args') ? cstrList(m.get('args')!.buf) : [];
          p.cwd = str(m, 'cwd') ?? p.cwd;
          p.uid = p.euid = num(m, 'uid') ?? p.uid;
          p.user = users.user(p.uid);
        }
      }
      const rec = syscallRecord(e, name, m, caller);
      if (rec && res !== 0) emit(rec, e.num);
      else counters.notDecoded++;
      return;
    }

    if (EXEC.has(name)) {
      const p = t.byTid(e.tid);
      if (res === 0) {
        const exec = base(e, RecordKind.Exec, p.pid);
        exec.tid = p.pid;
        exec.args[0] = e.tid;
        const argv = [str(m, 'exe') ?? '', ...(m.get('args') ? cstrList(m.get('args')!.buf) : [])];
        exec.items.set(ItemTag.Cmdline, Buffer.from(argv.map((a) => a + '\0').join('')));
        const filename = str(m, 'filename') ?? str(m, 'pathname');
        const exepath = filename ? (filename.startsWith('/') ? filename : `${(str(m, 'cwd') ?? p.cwd).replace(/\/$/, '')}/${filename}`) : str(m, 'exe');
        if (exepath) exec.items.set(ItemTag.Exe, Buffer.from(exepath));
        for (const [tag, key] of [[ItemTag.Comm, 'comm'], [ItemTag.Cwd, 'cwd']] as const) {
          const v = str(m, key);
          if (v !== undefined) exec.items.set(tag, Buffer.from(key === 'cwd' ? v.replace(/(.)\/$/, '$1') : v));
        }
        if (m.get('env')) exec.items.set(ItemTag.Env, m.get('env')!.buf);
        exec.items.set(ItemTag.Creds, credsItem(p, { loginuid: num(m, 'loginuid'), tty: num(m, 'tty'), pgid: num(m, 'pgid') }));
        const ptid = num(m, 'ptid');
        emit(exec, e.num);
        if (!p.parent && ptid && ptid !== p.pid && t.get(ptid)) p.parent = t.get(ptid);
      }
      const rec = syscallRecord(e, name, m, p);
      if (rec) emit(rec, e.num);
      else counters.notDecoded++;
      return;
    }

    const p = t.byTid(e.tid);
    const rec = syscallRecord(e, name, m, p);
    if (!rec) {
      counters.notDecoded++;
      return;
    }
    emit(rec, e.num);
  };

  let error: string | undefined;
  try {
    for (const blk of readBlocks(data)) {
      switch (blk.kind) {
        case 'mi':
          hostname = blk.hostname;
          break;
        case 'ul':
          users = UserDb.fromLists(
            blk.users.map((u) => ({ uid: u.uid, name: u.name, homedir: u.homedir, shell: u.shell })),
            blk.groups,
          );
          break;
        case 'pl':
          loadThreads(blk.threads);
          break;
        case 'fdl':
          loadFds(blk.tid, blk.fds);
          break;
        case 'unknown-event':
          counters.unknownTypes++;
          break;
        case 'event':
          counters.events = blk.event.num;
          onEvent(blk.event);
          break;
        default:
          break;
      }
    }
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    error = err.message;
  }
  return { counters, hostname, container, error };
}
