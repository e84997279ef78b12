// From tracer records to Falco events, before any state: a syscall record's
// Falco event type and parameters (entry arguments by Falco name, in
// register order, and the result), and what an exec record tells of the new
// image. Pure mapping: which process acted, which fd an event refers to and
// how the tables change is the state's business (src/state/builder.ts).
import { ItemTag, RecordFlag, itemCreds, itemList, itemString, type Creds, type TraceRecord } from '../tracer/index.js';
import type { SyscallEvent } from './model.js';
import { parseSockaddr, renderSockaddr, type SockAddr } from './sockaddr.js';

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
  tgkill: ['pid', 'tid', 'sig'],
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

/** What an exec record tells of a process's new image. */
export interface ExecFacts {
  exepath?: string;
  cmdline?: string[];
  comm?: string;
  cwd?: string;
  env?: string[];
  creds?: Creds;
}

/** What an exec record tells of the new image. */
export function execFacts(rec: TraceRecord): ExecFacts {
  return {
    exepath: itemString(rec, ItemTag.Exe),
    cmdline: itemList(rec, ItemTag.Cmdline),
    comm: itemString(rec, ItemTag.Comm),
    cwd: itemString(rec, ItemTag.Cwd),
    env: itemList(rec, ItemTag.Env),
    creds: itemCreds(rec),
  };
}


/** A syscall record as a Falco event's type, result and parameters, with no process or fd yet. */
export type DecodedSyscall = Pick<SyscallEvent, 'type' | 'res' | 'args'> & { hasRet: boolean };

/** The socket address a call names (connect, sendto, sendmsg, bind: as passed) or learns (accept, recvfrom, recvmsg: as returned). */
const SOCKADDR_ITEM: Record<string, number> = {
  connect: ItemTag.Arg0 + 1,
  sendto: ItemTag.Arg0 + 4,
  sendmsg: ItemTag.Arg0 + 1,
  bind: ItemTag.Arg0 + 1,
  accept: ItemTag.Out0 + 1,
  accept4: ItemTag.Out0 + 1,
  recvfrom: ItemTag.Out0 + 4,
  recvmsg: ItemTag.Out0 + 1,
};
/** Where pipe(2) and socketpair(2) return their two fds. */
const FD_PAIR_ITEM: Record<string, number> = { pipe: ItemTag.Out0, pipe2: ItemTag.Out0, socketpair: ItemTag.Out0 + 3 };

export function sockaddrArg(rec: TraceRecord, type: string): SockAddr | undefined {
  const tag = SOCKADDR_ITEM[type];
  return tag === undefined ? undefined : parseSockaddr(rec.items.get(tag));
}

/** The local end of a socket as the tracer read it at the stop (getsockname). */
export function localAddr(rec: TraceRecord): SockAddr | undefined {
  return parseSockaddr(rec.items.get(ItemTag.Local));
}

/** The two fds a successful pipe/pipe2/socketpair returned. */
export function fdPair(rec: TraceRecord, type: string): [number, number] | undefined {
  const tag = FD_PAIR_ITEM[type];
  const pair = tag === undefined ? undefined : rec.items.get(tag);
  if (!pair || pair.length < 8) return undefined;
  return [pair.readInt32LE(0), pair.readInt32LE(4)];
}

/** A syscall record's Falco parameters: entry arguments in register order, then what the exit returned. */
export function decodeSyscall(rec: TraceRecord, type: string): DecodedSyscall {
  const hasRet = (rec.flags & RecordFlag.HasRet) !== 0;
  const res = hasRet ? rec.ret : 0;
  const ok = hasRet && res >= 0;
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
  switch (type) {
    case 'openat2': {
      const how = rec.items.get(ItemTag.Arg0 + 2);
      if (how && how.length >= 24) {
        args.flags = Number(how.readBigUInt64LE(0) & 0xffffffffn);
        args.mode = Number(how.readBigUInt64LE(8) & 0xffffffffn);
        args.resolve = Number(how.readBigUInt64LE(16) & 0xffffffffn);
      }
      break;
    }
    case 'creat':
      args.flags = 0o1101; // O_WRONLY|O_CREAT|O_TRUNC
      break;
    case 'pipe':
    case 'pipe2':
    case 'socketpair': {
      const pair = ok ? fdPair(rec, type) : undefined;
      if (pair) [args.fd1, args.fd2] = pair;
      break;
    }
    case 'connect':
    case 'sendto':
    case 'sendmsg':
    case 'bind': {
      const addr = sockaddrArg(rec, type);
      if (addr !== undefined || type === 'bind') args.addr = renderSockaddr(addr);
      break;
    }
  }
  if (hasRet && (type === 'open' || type === 'openat' || type === 'openat2' || type === 'creat')) args.fd = res;
  return { type, res, args, hasRet };
}
