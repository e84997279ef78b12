// Encoders for the scap blocks the agent writes: section header, machine
// info, user list v2, process list v9, fd list v2 and event blocks (EV v2),
// laid out as libs e5c53d64's scap_savefile.c writes them.
import type { FdInfo, GroupInfo, ProcessInfo, UserInfo } from '../events/model.js';
import { BLOCK, BYTE_ORDER_MAGIC, EVENTS, fixedSize, ipv4Bytes, ipv6Bytes, joinList, openFlagsToPpm, writeFixed } from './scap.js';

/** A little-endian byte builder (grows as needed). */
export class Bytes {
  private buf = Buffer.alloc(256);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  u8(v: number): this {
    this.room(1);
    this.buf.writeUInt8(v & 0xff, this.len);
    this.len += 1;
    return this;
  }
  u16(v: number): this {
    this.room(2);
    this.buf.writeUInt16LE(v & 0xffff, this.len);
    this.len += 2;
    return this;
  }
  u32(v: number): this {
    this.room(4);
    this.buf.writeUInt32LE(v >>> 0, this.len);
    this.len += 4;
    return this;
  }
  u64(v: number | bigint): this {
    this.room(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), this.len);
    this.len += 8;
    return this;
  }
  bytes(b: Buffer): this {
    this.room(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
    return this;
  }
  /** str16: a u16 byte count and the bytes, no NUL. */
  str16(s: string | Buffer): this {
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    const n = Math.min(b.length, 0xffff);
    return this.u16(n).bytes(b.subarray(0, n));
  }
  patchU32(at: number, v: number): void {
    this.buf.writeUInt32LE(v >>> 0, at);
  }
  done(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/** A block: type, total length, body, zero padding to 4 bytes, total length again. */
export function block(type: number, body: Buffer): Buffer {
  const total = 8 + ((body.length + 3) & ~3) + 4;
  const b = Buffer.alloc(total);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(total, 4);
  body.copy(b, 8);
  b.writeUInt32LE(total, total - 4);
  return b;
}

export function sectionHeader(): Buffer {
  return block(BLOCK.SHB, new Bytes().u32(BYTE_ORDER_MAGIC).u16(1).u16(2).u64(-1n).done());
}

export function machineInfo(m: { cpus: number; memory: number; maxPid: number; hostname: string }): Buffer {
  const host = Buffer.alloc(128);
  host.write(m.hostname.slice(0, 127), 'utf8');
  return block(BLOCK.MI, new Bytes().u32(m.cpus).u64(m.memory).u64(m.maxPid).bytes(host).u64(0).u64(0).u64(0).u64(0).done());
}

export function userList(users: readonly UserInfo[], groups: readonly GroupInfo[]): Buffer {
  const b = new Bytes();
  for (const u of users) {
    const at = b.len;
    b.u32(0).u8(0).u32(u.uid).u32(0).str16(cut(u.name ?? '', MAX_CREDENTIAL)).str16(cut(u.homedir ?? '', MAX_CREDENTIAL)).str16(cut(u.shell ?? '', MAX_CREDENTIAL));
    b.patchU32(at, b.len - at);
  }
  for (const g of groups) {
    const at = b.len;
    b.u32(0).u8(1).u32(g.gid).str16(cut(g.name ?? '', MAX_CREDENTIAL));
    b.patchU32(at, b.len - at);
  }
  return block(BLOCK.UL_V2, b.done());
}

/**
 * libscap's limits on table strings (scap.h: SCAP_MAX_PATH_SIZE,
 * SCAP_MAX_ARGS_SIZE, SCAP_MAX_ENV_SIZE; scap_savefile.c:
 * MAX_CREDENTIALS_STR_LEN): a longer one makes sysdig reject the whole file.
 */
const MAX_PATH = 1024;
const MAX_LIST = 4096;
const MAX_FD_NAME = 1023;
const MAX_CREDENTIAL = 255;

/** A string cut to max bytes. */
function cut(s: string, max: number): Buffer {
  const b = Buffer.from(s, 'utf8');
  return b.length <= max ? b : b.subarray(0, max);
}

/** A NUL-separated list cut to max bytes at an entry boundary (as the kernel cuts /proc/PID/environ reads). */
function cutList(items: readonly string[], max: number): Buffer {
  const b = joinList(items);
  if (b.length <= max) return b;
  const end = b.lastIndexOf(0, max - 1);
  return b.subarray(0, end + 1);
}

/** PL v9: one record per thread. */
export function processList(threads: Iterable<[number, ProcessInfo]>): Buffer {
  const b = new Bytes();
  for (const [tid, p] of threads) {
    const at = b.len;
    b.u32(0).u64(tid).u64(p.pid).u64(p.parent?.pid ?? 0).u64(p.sid).u64(p.vpgid);
    b.str16(cut(p.comm, MAX_PATH)).str16(cut(p.exe, MAX_PATH)).str16(cut(p.exepath, MAX_PATH)).str16(cutList(p.args, MAX_LIST)).str16(cut(p.cwd, MAX_PATH));
    b.u64(0).u32(0).u32(p.uid).u32(p.gid); // fdlimit (unknown), flags
    b.u32(0).u32(0).u32(0).u64(0).u64(0); // vm sizes, page faults: not measured
    b.str16(cutList(p.env ?? [], MAX_LIST)).u64(tid === p.pid ? p.vpid : tid).u64(p.vpid).str16('').str16('/');
    b.u32(p.loginuid).u8(p.exeWritable ? 1 : 0);
    b.patchU32(at, b.len - at);
  }
  return block(BLOCK.PL_V9, b.done());
}

/** scap_fd_type values (libscap scap.h). */
const FD_TYPE: Partial<Record<FdInfo['type'], number>> = {
  file: 16, memfd: 16, directory: 2, pipe: 7, event: 9, signalfd: 11, eventpoll: 12, inotify: 13, timerfd: 14, netlink: 15,
  bpf: 10, userfaultfd: 10, io_uring: 10,
};
const L4: Record<string, number> = { tcp: 2, udp: 3, icmp: 4, raw: 5 };

/** FDL v2: the fds of one thread (the leader of each process carries its table). */
export function fdList(tid: number, fds: Iterable<FdInfo>): Buffer | undefined {
  const b = new Bytes().u64(tid);
  let n = 0;
  for (const fd of fds) {
    const at = b.len;
    const s = fd.sock;
    if ((fd.type === 'ipv4' || fd.type === 'ipv6') && s) {
      const v6 = fd.type === 'ipv6';
      const ip = v6 ? ipv6Bytes : ipv4Bytes;
      if (s.connected) {
        b.u32(0).u64(fd.num).u64(fd.ino ?? 0).u8(v6 ? 4 : 3).bytes(ip(s.clientIp)).bytes(ip(s.serverIp)).u16(s.clientPort ?? 0).u16(s.serverPort ?? 0);
      } else {
        b.u32(0).u64(fd.num).u64(fd.ino ?? 0).u8(v6 ? 6 : 5).bytes(ip(s.serverIp)).u16(s.serverPort ?? 0);
      }
      b.u8(L4[s.l4proto ?? ''] ?? 0);
    } else if (fd.type === 'unix') {
      b.u32(0).u64(fd.num).u64(fd.ino ?? 0).u8(8).u64(0).u64(0).str16(cut(fd.name, MAX_FD_NAME));
    } else if (fd.type === 'file' || fd.type === 'memfd') {
      b.u32(0).u64(fd.num).u64(fd.ino ?? 0).u8(16).u32(openFlagsToPpm(fd.openFlags ?? 0)).str16(cut(fd.name, MAX_FD_NAME)).u32(0);
    } else if (FD_TYPE[fd.type] !== undefined) {
      b.u32(0).u64(fd.num).u64(fd.ino ?? 0).u8(FD_TYPE[fd.type]!).str16(cut(fd.name, MAX_FD_NAME));
    } else {
      continue; // unknown fds: left to the events (as a kernel capture leaves them)
    }
    b.patchU32(at, b.len - at);
    n++;
  }
  return n ? block(BLOCK.FDL_V2, b.done()) : undefined;
}

type Value = number | bigint | string | Buffer | undefined;

/**
 * An event block (EV v2, or EV v2 large for EF_LARGE_PAYLOAD types): cpuid 0,
 * the header, the parameter lengths, the values. Encoded straight into one
 * buffer: this runs for every event the agent builds.
 */
export function eventBlock(type: number, ts: bigint, tid: number, values: readonly Value[]): Buffer {
  const info = EVENTS[type]!;
  const lw = info.large ? 4 : 2;
  const max = info.large ? 0xffffffff : 0xffff;
  const lens = new Array<number>(values.length);
  let data = 0;
  for (let i = 0; i < values.length; i++) {
    const t = info.params[i]!.type;
    const v = values[i];
    const fixed = fixedSize(t);
    let l: number;
    if (fixed !== undefined) l = fixed;
    else if (typeof v === 'string') l = Buffer.byteLength(v) + 1;
    else if (Buffer.isBuffer(v)) l = v.length;
    else l = t === 'CHARBUF' || t === 'FSPATH' || t === 'FSRELPATH' ? 1 : 0;
    lens[i] = Math.min(l, max);
    data += lens[i]!;
  }
  const len = 26 + values.length * lw + data;
  const body = 2 + len;
  const total = 8 + ((body + 3) & ~3) + 4;
  // from Node's shared pool (one allocation per 8 KiB, not per event), zeroed:
  // cpuid, string terminators and padding are the zeros
  const b = Buffer.allocUnsafe(total).fill(0);
  b.writeUInt32LE(info.large ? BLOCK.EV_V2_LARGE : BLOCK.EV_V2, 0);
  b.writeUInt32LE(total, 4);
  b.writeBigUInt64LE(ts, 10);
  b.writeBigInt64LE(BigInt(tid), 18);
  b.writeUInt32LE(len, 26);
  b.writeUInt16LE(type, 30);
  b.writeUInt32LE(values.length, 32);
  let o = 36;
  for (const l of lens) {
    if (lw === 4) b.writeUInt32LE(l, o);
    else b.writeUInt16LE(l, o);
    o += lw;
  }
  for (let i = 0; i < values.length; i++) {
    const t = info.params[i]!.type;
    const l = lens[i]!;
    const v = values[i];
    if (fixedSize(t) !== undefined) writeFixed(b, o, t, l, v);
    else if (typeof v === 'string') b.write(v, o, l - 1, 'utf8'); // the NUL is the zero fill
    else if (Buffer.isBuffer(v)) v.copy(b, o, 0, l);
    o += l;
  }
  b.writeUInt32LE(total, total - 4);
  return b;
}

/** An event from values by parameter name (missing values: the type's zero, an empty string). */
export function encodeEvent(type: number, ts: bigint, tid: number, get: (name: string, ptype: string, index: number) => Value): Buffer {
  const params = EVENTS[type]!.params;
  const values = new Array<Value>(params.length);
  for (let i = 0; i < params.length; i++) values[i] = get(params[i]!.name, params[i]!.type, i);
  return eventBlock(type, ts, tid, values);
}
