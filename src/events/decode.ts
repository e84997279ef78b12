// From tracer records to Falco events, before any state: a syscall record's
// Falco event type and parameters (entry arguments by Falco name, in
// register order, and the result), and what an exec record tells of the new
// image. Pure mapping: which process acted, which fd an event refers to and
// how the tables change is the state's business (src/state/builder.ts).
import { ItemTag, RecordFlag, itemCreds, itemExeStat, itemList, itemString, type Creds, type ExeStat, type TraceRecord } from '../tracer/index.js';
import type { SyscallEvent } from './model.js';
import { parseSockaddr, renderSockaddr, type SockAddr } from './sockaddr.js';
import { captureIndex, registerParams, syscallsWith, type ArgCapture } from '../model/syscalls.js';

/** What an exec record tells of a process's new image (read at the exec event). */
export interface ExecFacts {
  exepath?: string;
  cmdline?: string[];
  comm?: string;
  cwd?: string;
  env?: string[];
  creds?: Creds;
  exe?: ExeStat;
}

export function execFacts(rec: TraceRecord): ExecFacts {
  return {
    exepath: itemString(rec, ItemTag.Exe),
    cmdline: itemList(rec, ItemTag.Cmdline),
    comm: itemString(rec, ItemTag.Comm),
    cwd: itemString(rec, ItemTag.Cwd),
    env: itemList(rec, ItemTag.Env),
    creds: itemCreds(rec),
    exe: itemExeStat(rec),
  };
}

/** A syscall record as a Falco event's type, result and parameters, with no process or fd yet. */
export type DecodedSyscall = Pick<SyscallEvent, 'type' | 'res' | 'args'> & { hasRet: boolean };

/** The item of the register a syscall's struct capture is in (src/model/syscalls.ts), or undefined. */
function itemOf(type: string, base: number, ...captures: ArgCapture[]): number | undefined {
  const i = captureIndex(type, ...captures);
  return i < 0 ? undefined : base + i;
}

/** The socket address a call names (connect, sendto, sendmsg, bind: as passed) or learns (accept, recvfrom, recvmsg: as returned). */
export function sockaddrArg(rec: TraceRecord, type: string): SockAddr | undefined {
  const tag = itemOf(type, ItemTag.Arg0, 'sockaddr', 'msghdr') ?? itemOf(type, ItemTag.Out0, 'sockaddr_out', 'msghdr_out');
  return tag === undefined ? undefined : parseSockaddr(rec.items.get(tag));
}

/** The local end of a socket as the tracer read it at the stop (getsockname). */
export function localAddr(rec: TraceRecord): SockAddr | undefined {
  return parseSockaddr(rec.items.get(ItemTag.Local));
}

/** The two fds a successful pipe/pipe2/socketpair returned. */
function fdPair(rec: TraceRecord, type: string): [number, number] | undefined {
  const tag = itemOf(type, ItemTag.Out0, 'fdpair_out');
  const pair = tag === undefined ? undefined : rec.items.get(tag);
  if (!pair || pair.length < 8) return undefined;
  return [pair.readInt32LE(0), pair.readInt32LE(4)];
}

const OPENS = new Set(syscallsWith('open'));

/** A syscall record's Falco parameters: entry arguments in register order, then what the exit returned. */
export function decodeSyscall(rec: TraceRecord, type: string): DecodedSyscall {
  const hasRet = (rec.flags & RecordFlag.HasRet) !== 0;
  const res = hasRet ? rec.ret : 0;
  const ok = hasRet && res >= 0;
  const args: SyscallEvent['args'] = {};
  // the registers as the syscall table (src/model/syscalls.ts) decodes them
  for (const r of registerParams(type)) {
    if (r.string) {
      const s = itemString(rec, ItemTag.Arg0 + r.index);
      if (s !== undefined) args[r.param] = s;
    } else {
      const v = rec.args[r.index]!;
      args[r.param] = r.unsigned ? v >>> 0 : v | 0;
    }
  }
  if (hasRet) args.res = res;
  switch (type) {
    case 'openat2': {
      const how = rec.items.get(ItemTag.Arg0 + captureIndex(type, 'open_how'));
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
  if (hasRet && OPENS.has(type)) args.fd = res;
  return { type, res, args, hasRet };
}
