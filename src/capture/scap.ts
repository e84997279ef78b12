// The scap capture format as sysdig 0.29.3 (libs e5c53d64, March 2022) reads
// and writes it: block types, the event table, parameter encodings and the
// PPM flag translations. Shared by the writer (capture) and the reader
// (replay). Layouts are documented in docs/capture.md; all integers are
// little-endian and packed.
import { EVENT_ROWS } from '../events/event-table.js';

export const BLOCK = {
  SHB: 0x0a0d0d0a,
  MI: 0x201,
  PL_V9: 0x215,
  FDL_V2: 0x218,
  UL_V2: 0x220,
  EV_V2: 0x216,
  EV_V2_LARGE: 0x221,
} as const;

/** Block type -> what it holds and its version, for every type a 2022 reader accepts. */
export const BLOCK_KINDS: ReadonlyMap<number, { kind: 'shb' | 'mi' | 'il' | 'ul' | 'pl' | 'fdl' | 'ev'; v: number; flags?: boolean; large?: boolean }> = new Map([
  [0x0a0d0d0a, { kind: 'shb', v: 1 }],
  [0x201, { kind: 'mi', v: 1 }], [0x8002abcd, { kind: 'mi', v: 1 }],
  [0x202, { kind: 'pl', v: 1 }], [0x8000abcd, { kind: 'pl', v: 1 }],
  [0x207, { kind: 'pl', v: 2 }], [0x8013abcd, { kind: 'pl', v: 2 }],
  [0x209, { kind: 'pl', v: 3 }], [0x8014abcd, { kind: 'pl', v: 3 }],
  [0x210, { kind: 'pl', v: 4 }], [0x211, { kind: 'pl', v: 5 }], [0x212, { kind: 'pl', v: 6 }],
  [0x213, { kind: 'pl', v: 7 }], [0x214, { kind: 'pl', v: 8 }], [0x215, { kind: 'pl', v: 9 }],
  [0x203, { kind: 'fdl', v: 1 }], [0x8001abcd, { kind: 'fdl', v: 1 }], [0x218, { kind: 'fdl', v: 2 }],
  [0x205, { kind: 'il', v: 1 }], [0x8011abcd, { kind: 'il', v: 1 }], [0x219, { kind: 'il', v: 2 }],
  [0x206, { kind: 'ul', v: 1 }], [0x8012abcd, { kind: 'ul', v: 1 }], [0x220, { kind: 'ul', v: 2 }],
  [0x204, { kind: 'ev', v: 1 }], [0x8010abcd, { kind: 'ev', v: 1 }],
  [0x216, { kind: 'ev', v: 2 }], [0x221, { kind: 'ev', v: 2, large: true }],
  [0x208, { kind: 'ev', v: 1, flags: true }], [0x217, { kind: 'ev', v: 2, flags: true }],
  [0x222, { kind: 'ev', v: 2, flags: true, large: true }],
]);

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Event types at or above this are unknown to this libs version (skipped by readers). */
export const PPM_EVENT_MAX = EVENT_ROWS.length;
/** Dump flag: the event only feeds the state (sysdig -F). */
export const DUMP_STATE_ONLY = 1;

export interface EventParamInfo {
  name: string;
  type: string;
}

export interface EventInfo {
  num: number;
  name: string;
  dir: 'E' | 'X' | '?';
  old: boolean;
  /** EF_LARGE_PAYLOAD: 32-bit parameter lengths. */
  large: boolean;
  params: EventParamInfo[];
}

export const EVENTS: readonly EventInfo[] = EVENT_ROWS.map(([name, dir, flags, params], num) => ({
  num,
  name,
  dir: dir as EventInfo['dir'],
  old: (flags & 1) !== 0,
  large: (flags & 2) !== 0,
  params: params === '' ? [] : params.split(' ').map((p) => {
    const [n, t] = p.split(':');
    return { name: n!, type: t! };
  }),
}));

// Fixed-size parameter types and their byte counts (others are variable).
const FIXED: Readonly<Record<string, number>> = {
  INT8: 1, UINT8: 1, SIGTYPE: 1, FLAGS8: 1, L4PROTO: 1, SOCKFAMILY: 1,
  INT16: 2, UINT16: 2, FLAGS16: 2, PORT: 2, SYSCALLID: 2,
  INT32: 4, UINT32: 4, FLAGS32: 4, UID: 4, GID: 4, MODE: 4, BOOL: 4, SIGSET: 4, IPV4ADDR: 4,
  INT64: 8, UINT64: 8, ERRNO: 8, FD: 8, PID: 8, RELTIME: 8, ABSTIME: 8, DOUBLE: 8,
};
const SIGNED = new Set(['INT8', 'INT16', 'INT32', 'INT64', 'ERRNO', 'FD', 'PID']);

export function fixedSize(type: string): number | undefined {
  return FIXED[type];
}

/**
 * The current (not EF_OLD_VERSION) enter/exit event numbers a 2022 driver
 * emits for a syscall, by the agent's syscall name. Where the driver routes a
 * syscall to another's events (dup2/dup3 -> dup, pipe2 -> pipe, accept4 has
 * its own numbers under the name "accept"), the entry says so.
 */
const SYSCALL_EVENTS: Record<string, [number, number]> = {
  dup: [124, 125], dup2: [124, 125], dup3: [124, 125],
  pipe: [60, 61], pipe2: [60, 61],
  accept: [246, 247], accept4: [248, 249],
  execve: [292, 293], execveat: [330, 331],
  clone: [222, 223], fork: [224, 225], vfork: [226, 227], clone3: [334, 335],
  umount2: [258, 259],
  setreuid: [192, 193], setregid: [194, 195],
};
for (const e of EVENTS) {
  if (e.old || e.dir !== 'E' || e.name in SYSCALL_EVENTS) continue;
  const x = EVENTS[e.num + 1];
  if (x && x.dir === 'X' && x.name === e.name) SYSCALL_EVENTS[e.name] = [e.num, e.num + 1];
}

export function eventsForSyscall(name: string): [number, number] | undefined {
  return Object.hasOwn(SYSCALL_EVENTS, name) ? SYSCALL_EVENTS[name] : undefined;
}

/** The agent's syscall name for an event type (accept4's events are named accept in libs). */
export function syscallOfEvent(num: number): string | undefined {
  if (num === 248 || num === 249 || num === 56 || num === 57) return 'accept4';
  return EVENTS[num]?.name;
}

// ---- flag translations (PPM_* bit values from driver/ppm_events_public.h) ----

const O = (s: string): number => parseInt(s, 8);
/** [Linux O_* bit, PPM_O_* bit]; the access mode (2 bits) is translated apart. */
const OPEN_BITS: readonly [number, number][] = [
  [O('100'), 1 << 2], [O('2000'), 1 << 3], [O('10000'), 1 << 4], [O('200'), 1 << 5], [O('4000'), 1 << 6],
  [O('4010000'), 1 << 7], [O('1000'), 1 << 8], [O('40000'), 1 << 9], [O('200000'), 1 << 10],
  [O('100000'), 1 << 11], [O('2000000'), 1 << 12],
];
const O_TMPFILE = O('20200000');

export function openFlagsToPpm(linux: number): number {
  const acc = linux & 3;
  let f = acc === 0 ? 1 : acc === 1 ? 2 : acc === 2 ? 3 : 0;
  if ((linux & O_TMPFILE) === O_TMPFILE) f |= 1 << 13;
  for (const [l, p] of OPEN_BITS) if ((linux & l) === l && !(l === O('200000') && (linux & O_TMPFILE) === O_TMPFILE)) f |= p;
  return f >>> 0;
}

export function openFlagsFromPpm(ppm: number): number {
  let f = (ppm & 3) === 3 ? 2 : ppm & 2 ? 1 : 0;
  for (const [l, p] of OPEN_BITS) if (ppm & p) f |= l;
  if (ppm & (1 << 13)) f |= O_TMPFILE;
  return f >>> 0;
}

/** [Linux CLONE_* bit, PPM_CL_* bit]. */
const CLONE_BITS: readonly [number, number][] = [
  [0x400, 1 << 0], [0x200, 1 << 1], [0x80000000, 1 << 2], [0x08000000, 1 << 3], [0x40000000, 1 << 4],
  [0x00020000, 1 << 5], [0x20000000, 1 << 6], [0x04000000, 1 << 7], [0x8000, 1 << 8], [0x00100000, 1 << 9],
  [0x2000, 1 << 10], [0x800, 1 << 11], [0x40000, 1 << 12], [0x10000, 1 << 13], [0x00800000, 1 << 14],
  [0x100, 1 << 15], [0x10000000, 1 << 20], [0x00200000, 1 << 23], [0x01000000, 1 << 24], [0x00080000, 1 << 25],
  [0x4000, 1 << 27], [0x02000000, 1 << 28],
];
export const PPM_CL_CLONE_THREAD = 1 << 13;
export const PPM_CL_CLONE_VFORK = 1 << 27;

export function cloneFlagsToPpm(linux: number): number {
  let f = 0;
  for (const [l, p] of CLONE_BITS) if ((linux >>> 0) & l) f |= p;
  return f >>> 0;
}

export function cloneFlagsFromPpm(ppm: number): number {
  let f = 0;
  for (const [l, p] of CLONE_BITS) if (ppm & p) f = (f | l) >>> 0;
  return f >>> 0;
}

/** fcntl commands: [Linux F_*, PPM_FCNTL_*]. libsinsp tracks F_DUPFD* through them. */
const FCNTL_CMDS: readonly [number, number][] = [
  [0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 8], [7, 9], [8, 10], [9, 12], [10, 13], [11, 15],
  [15, 21], [16, 22], [1024, 23], [1025, 24], [1029, 25], [1030, 26], [1026, 27], [1031, 28], [1032, 29],
  [36, 30], [37, 31], [38, 32],
];
export const fcntlCmdToPpm = (linux: number): number => FCNTL_CMDS.find(([l]) => l === linux)?.[1] ?? 0;
export const fcntlCmdFromPpm = (ppm: number): number => FCNTL_CMDS.find(([, p]) => p === ppm)?.[0] ?? -1;

/** ptrace requests: [Linux PTRACE_*, PPM_PTRACE_*]. */
const PTRACE_REQS: readonly [number, number][] = [
  [0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 7], [7, 8], [8, 9], [9, 10], [16, 11], [17, 12], [24, 13],
  [0x4200, 14], [0x4201, 15], [0x4202, 16], [0x4203, 17], [0x4204, 18], [0x4205, 19], [0x4206, 20], [0x4207, 21],
  [0x4208, 22], [0x4209, 23], [0x420a, 24], [0x420b, 25], [12, 26], [13, 27], [14, 28], [15, 29], [18, 30], [19, 31],
];
export const ptraceReqToPpm = (linux: number): number => PTRACE_REQS.find(([l]) => l === linux)?.[1] ?? 0;
export const ptraceReqFromPpm = (ppm: number): number => PTRACE_REQS.find(([, p]) => p === ppm)?.[0] ?? -1;

/** openat2 resolve flags: [Linux RESOLVE_*, PPM_RESOLVE_*]. */
const RESOLVE_BITS: readonly [number, number][] = [[0x08, 1], [0x10, 2], [0x02, 4], [0x04, 8], [0x01, 16], [0x20, 32]];
export const resolveToPpm = (linux: number): number => RESOLVE_BITS.reduce((f, [l, p]) => (linux & l ? f | p : f), 0);
export const resolveFromPpm = (ppm: number): number => RESOLVE_BITS.reduce((f, [l, p]) => (ppm & p ? f | l : f), 0);

// ---- parameter values ----

/** A decoded parameter: numbers for fixed types (bigint for 64-bit), Buffers otherwise. */
export type ParamValue = number | bigint | Buffer;

/** Writes a fixed-size value (size bytes, per its type) at off; a missing or non-numeric value is 0. */
export function writeFixed(b: Buffer, off: number, type: string, size: number, v: number | bigint | string | Buffer | undefined): void {
  const n = typeof v === 'number' || typeof v === 'bigint' ? v : 0;
  if (size === 8) {
    const big = typeof n === 'bigint' ? n : BigInt(Math.trunc(n));
    if (SIGNED.has(type)) b.writeBigInt64LE(BigInt.asIntN(64, big), off);
    else b.writeBigUInt64LE(BigInt.asUintN(64, big), off);
  } else if (size === 4) b.writeUInt32LE(Number(n) >>> 0, off);
  else if (size === 2) b.writeUInt16LE(Number(n) & 0xffff, off);
  else b.writeUInt8(Number(n) & 0xff, off);
}

/** Decodes a fixed-size parameter (64-bit as bigint only when not a safe integer); other types stay Buffers. */
export function decodeParam(type: string, b: Buffer): ParamValue {
  const size = FIXED[type];
  if (size === undefined || b.length < size) return b;
  const signed = SIGNED.has(type);
  if (size === 8) {
    const v = signed ? b.readBigInt64LE(0) : b.readBigUInt64LE(0);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  if (size === 4) return signed ? b.readInt32LE(0) : b.readUInt32LE(0);
  if (size === 2) return signed ? b.readInt16LE(0) : b.readUInt16LE(0);
  return signed ? b.readInt8(0) : b.readUInt8(0);
}

/** A NUL-terminated event string as text (without its NUL). */
export function cstr(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString('utf8');
}

/** A NUL-separated list (args, env, cgroups) as strings; a trailing NUL adds no entry. */
export function cstrList(b: Buffer): string[] {
  if (b.length === 0) return [];
  const parts = b.toString('utf8').split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export function joinList(items: readonly string[]): Buffer {
  return Buffer.from(items.map((s) => s + '\0').join(''), 'utf8');
}

// ---- socket addresses: the driver's packed encodings ----

export const PPM_AF_UNIX = 1;
export const PPM_AF_INET = 2;
export const PPM_AF_INET6 = 10;

export interface Endpoint {
  ip?: string;
  port?: number;
  path?: string;
}

/** An IPv4 address's 4 bytes in network order (0.0.0.0 when unknown). */
export function ipv4Bytes(ip: string | undefined): Buffer {
  const b = Buffer.alloc(4);
  const parts = (ip ?? '0.0.0.0').split('.').map(Number);
  for (let i = 0; i < 4; i++) b[i] = parts[i]! & 0xff;
  return b;
}

/** An IPv6 address's 16 bytes in network order (:: when unknown). */
export function ipv6Bytes(ip: string | undefined): Buffer {
  const b = Buffer.alloc(16);
  if (!ip) return b;
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  groups.slice(0, 8).forEach((g, i) => b.writeUInt16BE(parseInt(g, 16) & 0xffff, i * 2));
  return b;
}

function port(p: number | undefined): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE((p ?? 0) & 0xffff);
  return b;
}

const isV6 = (ip: string | undefined): boolean => ip !== undefined && ip.includes(':');

/** SOCKADDR: family byte, then address and port (inet) or the NUL-terminated path (unix). */
export function encodeSockaddr(e: Endpoint | undefined): Buffer {
  if (e === undefined) return Buffer.alloc(0);
  if (e.path !== undefined) return Buffer.concat([Buffer.from([PPM_AF_UNIX]), Buffer.from(e.path + '\0')]);
  if (isV6(e.ip)) return Buffer.concat([Buffer.from([PPM_AF_INET6]), ipv6Bytes(e.ip), port(e.port)]);
  return Buffer.concat([Buffer.from([PPM_AF_INET]), ipv4Bytes(e.ip), port(e.port)]);
}

/** SOCKTUPLE: family, source then destination (inet), or two kernel pointers and the path (unix). */
export function encodeTuple(src: Endpoint, dst: Endpoint, unix = false): Buffer {
  if (unix) return Buffer.concat([Buffer.from([PPM_AF_UNIX]), Buffer.alloc(16), Buffer.from((dst.path ?? src.path ?? '') + '\0')]);
  if (isV6(src.ip) || isV6(dst.ip)) {
    return Buffer.concat([Buffer.from([PPM_AF_INET6]), ipv6Bytes(src.ip), port(src.port), ipv6Bytes(dst.ip), port(dst.port)]);
  }
  return Buffer.concat([Buffer.from([PPM_AF_INET]), ipv4Bytes(src.ip), port(src.port), ipv4Bytes(dst.ip), port(dst.port)]);
}

/** A Linux struct sockaddr from an address's raw bytes (network order) and a host-order port (family: 2 or 10). */
export function linuxFromRaw(family: number, addr: Buffer, p: number): Buffer {
  if (family === PPM_AF_INET6) {
    const b = Buffer.alloc(28);
    b.writeUInt16LE(10, 0);
    b.writeUInt16BE(p & 0xffff, 2);
    addr.copy(b, 8, 0, 16);
    return b;
  }
  const b = Buffer.alloc(16);
  b.writeUInt16LE(2, 0);
  b.writeUInt16BE(p & 0xffff, 2);
  addr.copy(b, 4, 0, 4);
  return b;
}

function linuxUnix(path: string): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(path) + 1);
  b.writeUInt16LE(1, 0);
  b.write(path, 2);
  return b;
}

/**
 * A SOCKADDR parameter as the Linux struct sockaddr the program passed (what
 * the tracer reads, and what src/events/sockaddr.ts parses), or undefined.
 */
export function sockaddrToLinux(b: Buffer): Buffer | undefined {
  if (b.length < 1) return undefined;
  const family = b[0]!;
  if (family === PPM_AF_INET && b.length >= 7) return linuxFromRaw(family, b.subarray(1, 5), b.readUInt16LE(5));
  if (family === PPM_AF_INET6 && b.length >= 19) return linuxFromRaw(family, b.subarray(1, 17), b.readUInt16LE(17));
  if (family === PPM_AF_UNIX) return linuxUnix(cstr(b.subarray(1)));
  return undefined;
}

/** A SOCKTUPLE parameter as two Linux sockaddrs (source, destination), or undefined. */
export function tupleToLinux(b: Buffer): { src: Buffer; dst: Buffer } | undefined {
  if (b.length < 1) return undefined;
  const family = b[0]!;
  if (family === PPM_AF_INET && b.length >= 13) {
    return { src: linuxFromRaw(family, b.subarray(1, 5), b.readUInt16LE(5)), dst: linuxFromRaw(family, b.subarray(7, 11), b.readUInt16LE(11)) };
  }
  if (family === PPM_AF_INET6 && b.length >= 37) {
    return { src: linuxFromRaw(family, b.subarray(1, 17), b.readUInt16LE(17)), dst: linuxFromRaw(family, b.subarray(19, 35), b.readUInt16LE(35)) };
  }
  if (family === PPM_AF_UNIX && b.length >= 17) {
    const u = linuxUnix(cstr(b.subarray(17)));
    return { src: u, dst: u };
  }
  return undefined;
}
