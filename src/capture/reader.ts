// Reads a scap capture (plain or gzip) block by block, as libscap does: the
// section header, then the state tables (machine info, users, processes,
// fds; interface lists are skipped), then events (v1 and v2 headers, with or
// without dump flags). A truncated or corrupt block stops the walk with a
// CaptureError naming its offset (in the uncompressed stream); everything
// before it has been yielded.
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { BLOCK_KINDS, BYTE_ORDER_MAGIC, EVENTS, PPM_EVENT_MAX, cstr, cstrList, decodeParam, linuxFromRaw, type ParamValue } from './scap.js';

export class CaptureError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(`offset ${offset}: ${message}`);
  }
}

export interface ThreadEntry {
  tid: number;
  pid: number;
  ptid: number;
  sid: number;
  vpgid: number;
  comm: string;
  exe: string;
  exepath: string;
  args: string[];
  cwd: string;
  uid: number;
  gid: number;
  env: string[];
  vtid: number;
  vpid: number;
  loginuid: number;
  exeWritable: boolean;
}

export interface FdEntryRecord {
  fd: number;
  ino: number;
  /** scap_fd_type. */
  type: number;
  name?: string;
  /** PPM_O_* flags (FILE_V2). */
  openFlags?: number;
  /** Sockets: Linux sockaddrs of the two ends (client/source, server/destination). */
  src?: Buffer;
  dst?: Buffer;
  l4proto?: number;
}

export interface ScapEvent {
  /** The event's ordinal in the file, from 1 (sysdig's evt.num). */
  num: number;
  offset: number;
  ts: bigint;
  tid: number;
  type: number;
  flags: number;
  params: Buffer[];
}

export type Block =
  | { kind: 'shb'; offset: number; major: number; minor: number }
  | { kind: 'mi'; offset: number; hostname: string; cpus: number }
  | { kind: 'ul'; offset: number; users: { uid: number; gid: number; name: string; homedir: string; shell: string }[]; groups: { gid: number; name: string }[] }
  | { kind: 'pl'; offset: number; threads: ThreadEntry[] }
  | { kind: 'fdl'; offset: number; tid: number; fds: FdEntryRecord[] }
  | { kind: 'skipped'; offset: number; type: number }
  | { kind: 'event'; offset: number; event: ScapEvent }
  | { kind: 'unknown-event'; offset: number; type: number };

/** The file's bytes, uncompressed; a truncated gzip stream gives what it holds and a note. */
export function loadCapture(raw: Buffer): { data: Buffer; gzipError?: string } {
  if (raw.length < 2 || raw[0] !== 0x1f || raw[1] !== 0x8b) return { data: raw };
  try {
    return { data: gunzipSync(raw) };
  } catch (err) {
    // keep what decompresses: the blocks before the damage are still read
    const data = gunzipSync(raw, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    return { data, gzipError: `gzip stream: ${(err as Error).message} after ${data.length} uncompressed bytes` };
  }
}

/** A cursor over one block's body; reading past its end throws (caught as a corrupt block). */
class Cursor {
  constructor(
    private readonly b: Buffer,
    public pos: number,
    readonly end: number,
  ) {}
  private need(n: number): void {
    if (this.pos + n > this.end) throw new RangeError(`record runs past the end of its block (${this.pos + n - this.end} bytes)`);
  }
  get left(): number {
    return this.end - this.pos;
  }
  u8(): number {
    this.need(1);
    return this.b[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.b.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.b.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.b.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  i64(): number {
    this.need(8);
    const v = this.b.readBigInt64LE(this.pos);
    this.pos += 8;
    return Number(v);
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  str16(): string {
    return this.bytes(this.u16()).toString('utf8');
  }
  list16(): string[] {
    return cstrList(this.bytes(this.u16()));
  }
}

function readUsers(c: Cursor, v: number): Block & { kind: 'ul' } {
  const users: { uid: number; gid: number; name: string; homedir: string; shell: string }[] = [];
  const groups: { gid: number; name: string }[] = [];
  while (c.left >= 4) { // as libscap: fewer than 4 bytes left are padding
    const start = c.pos;
    let sub = 0;
    if (v >= 2) sub = c.u32();
    const type = c.u8();
    if (type === 0) users.push({ uid: c.u32(), gid: c.u32(), name: c.str16(), homedir: c.str16(), shell: c.str16() });
    else if (type === 1) groups.push({ gid: c.u32(), name: c.str16() });
    else if (v < 2) break; // v1 records cannot be skipped: padding or an unknown kind ends the list
    if (v >= 2) c.pos = start + sub;
  }
  return { kind: 'ul', offset: 0, users, groups };
}

function readProcesses(c: Cursor, v: number): ThreadEntry[] {
  const out: ThreadEntry[] = [];
  while (c.left >= 4) {
    const start = c.pos;
    let sub = 0;
    if (v >= 9) sub = c.u32();
    const t: ThreadEntry = {
      tid: c.i64(), pid: c.i64(), ptid: c.i64(), sid: 0, vpgid: 0, comm: '', exe: '', exepath: '', args: [], cwd: '',
      uid: 0, gid: 0, env: [], vtid: 0, vpid: 0, loginuid: -1, exeWritable: false,
    };
    if (v >= 6) t.sid = c.i64();
    if (v >= 8) t.vpgid = c.i64();
    t.comm = c.str16();
    t.exe = c.str16();
    if (v >= 7) t.exepath = c.str16();
    t.args = c.list16();
    t.cwd = c.str16();
    c.i64(); // fdlimit
    c.u32(); // flags
    t.uid = c.u32();
    t.gid = c.u32();
    if (v >= 2) {
      c.bytes(12 + 16); // vm sizes, page faults
    }
    if (v >= 3) t.env = c.list16();
    if (v >= 4) {
      t.vtid = c.i64();
      t.vpid = c.i64();
      c.str16(); // cgroups
    }
    if (v >= 5) c.str16(); // root
    if (v >= 9) {
      // libs >= 0.10 write pidns_init_start_ts and tty before loginuid; an older
      // record has at most 29 bytes left here (loginuid, exe_writable, 3 cap sets)
      if (start + sub - c.pos > 29) {
        c.bytes(8);
        c.u32();
      }
      if (c.pos + 4 <= start + sub) t.loginuid = c.i32();
      if (c.pos + 1 <= start + sub) t.exeWritable = c.u8() !== 0;
      c.pos = start + sub;
    }
    if (t.vpid === 0) t.vpid = t.pid;
    out.push(t);
  }
  return out;
}

function readFds(c: Cursor, v: number): { tid: number; fds: FdEntryRecord[] } {
  const tid = c.i64();
  const fds: FdEntryRecord[] = [];
  while (c.left >= 4) {
    const start = c.pos;
    let sub = 0;
    if (v >= 2) sub = c.u32();
    const f: FdEntryRecord = { fd: c.i64(), ino: c.i64(), type: c.u8() };
    switch (f.type) {
      case 3: // IPV4_SOCK
      case 4: // IPV6_SOCK
      case 5: // IPV4_SERVSOCK
      case 6: { // IPV6_SERVSOCK
        const v6 = f.type === 4 || f.type === 6;
        const n = v6 ? 16 : 4;
        const family = v6 ? 10 : 2;
        if (f.type === 3 || f.type === 4) {
          const sip = c.bytes(n);
          const dip = c.bytes(n);
          const sport = c.u16();
          f.src = linuxFromRaw(family, sip, sport);
          f.dst = linuxFromRaw(family, dip, c.u16());
        } else {
          const ip = c.bytes(n);
          f.dst = linuxFromRaw(family, ip, c.u16());
        }
        f.l4proto = c.u8();
        break;
      }
      case 8: // UNIX_SOCK
        c.bytes(16);
        f.name = c.str16();
        break;
      case 16: // FILE_V2
        f.openFlags = c.u32();
        f.name = c.str16();
        if (sub && c.pos - start + 4 <= sub) c.u32(); // dev, when the record has room for it
        break;
      default:
        f.name = c.str16();
    }
    if (sub) c.pos = start + sub;
    if (f.type !== 0) fds.push(f);
  }
  return { tid, fds };
}

/** Nparams of a v1 event: the table's count, reduced until the lengths add up to the event's size. */
function inferParams(b: Buffer, at: number, len: number, type: number, lw: number): number {
  const max = EVENTS[type]?.params.length ?? 0;
  for (let n = max; n >= 0; n--) {
    if (22 + n * lw > len) continue;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += lw === 4 ? b.readUInt32LE(at + 22 + i * 4) : b.readUInt16LE(at + 22 + i * 2);
    if (22 + n * lw + sum === len) return n;
  }
  return -1;
}

function readEvent(b: Buffer, c: Cursor, k: { v: number; flags?: boolean }, num: number, offset: number): ScapEvent | { unknownType: number } {
  c.u16(); // cpuid
  const flags = k.flags ? c.u32() : 0;
  const at = c.pos;
  const hdr = k.v >= 2 ? 26 : 22;
  if (c.left < hdr) throw new RangeError('event header runs past the end of its block');
  const ts = b.readBigUInt64LE(at);
  const tid = Number(b.readBigInt64LE(at + 8));
  const len = b.readUInt32LE(at + 16);
  const type = b.readUInt16LE(at + 20);
  if (type >= PPM_EVENT_MAX) return { unknownType: type };
  const lw = EVENTS[type]!.large ? 4 : 2;
  if (len > c.left) throw new RangeError(`event of ${len} bytes runs past the end of its block`);
  const nparams = k.v >= 2 ? b.readUInt32LE(at + 22) : inferParams(b, at, len, type, lw);
  if (nparams < 0 || hdr + nparams * lw > len) throw new RangeError(`event type ${type}: parameter lengths do not fit its size (${len} bytes)`);
  const params: Buffer[] = [];
  let p = at + hdr + nparams * lw;
  for (let i = 0; i < nparams; i++) {
    const l = lw === 4 ? b.readUInt32LE(at + hdr + i * 4) : b.readUInt16LE(at + hdr + i * 2);
    if (p + l > at + len) throw new RangeError(`event type ${type}: parameter ${i} runs past the event's end`);
    params.push(b.subarray(p, p + l));
    p += l;
  }
  return { num, offset, ts, tid, type, flags, params };
}

/** Walks the blocks of an uncompressed capture. Throws CaptureError at the first bad block. */
export function* readBlocks(data: Buffer): Generator<Block> {
  let off = 0;
  let num = 0;
  let sawHeader = false;
  while (off < data.length) {
    if (data.length - off < 8) throw new CaptureError(off, `truncated: ${data.length - off} bytes where a block header (8) should be`);
    const type = data.readUInt32LE(off);
    const total = data.readUInt32LE(off + 4);
    if (total < 12 || total % 4 !== 0) throw new CaptureError(off, `corrupt block: type 0x${type.toString(16)} with length ${total}`);
    if (off + total > data.length) throw new CaptureError(off, `truncated: block type 0x${type.toString(16)} of ${total} bytes, ${data.length - off} left in the file`);
    const k = BLOCK_KINDS.get(type);
    if (!sawHeader && k?.kind !== 'shb') throw new CaptureError(off, `not a scap capture: first block type 0x${type.toString(16)} is not a section header`);
    const c = new Cursor(data, off + 8, off + total - 4);
    try {
      if (!k) yield { kind: 'skipped', offset: off, type };
      else if (k.kind === 'shb') {
        if (c.u32() !== BYTE_ORDER_MAGIC) throw new RangeError('bad byte-order magic in the section header');
        const major = c.u16();
        const minor = c.u16();
        if (major > 1) throw new RangeError(`section header version ${major}.${minor} is newer than this reader (1.x)`);
        sawHeader = true;
        yield { kind: 'shb', offset: off, major, minor };
      } else if (k.kind === 'mi') {
        const cpus = c.u32();
        c.bytes(16);
        yield { kind: 'mi', offset: off, cpus, hostname: cstr(c.bytes(128)) };
      } else if (k.kind === 'ul') yield { ...readUsers(c, k.v), offset: off };
      else if (k.kind === 'pl') yield { kind: 'pl', offset: off, threads: readProcesses(c, k.v) };
      else if (k.kind === 'fdl') yield { kind: 'fdl', offset: off, ...readFds(c, k.v) };
      else if (k.kind === 'il') yield { kind: 'skipped', offset: off, type };
      else {
        const e = readEvent(data, c, k, num + 1, off);
        if ('unknownType' in e) yield { kind: 'unknown-event', offset: off, type: e.unknownType };
        else {
          num++;
          yield { kind: 'event', offset: off, event: e };
        }
      }
    } catch (err) {
      if (err instanceof CaptureError) throw err;
      throw new CaptureError(off, `corrupt block type 0x${type.toString(16)}: ${(err as Error).message}`);
    }
    off += total;
  }
}

/** A parameter of an event by name (per the event table), decoded when fixed-size. */
export function param(e: ScapEvent, name: string): ParamValue | undefined {
  const info = EVENTS[e.type];
  if (!info) return undefined;
  const i = info.params.findIndex((p) => p.name === name);
  if (i < 0 || i >= e.params.length || e.params[i]!.length === 0) return undefined;
  return decodeParam(info.params[i]!.type, e.params[i]!);
}
