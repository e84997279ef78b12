// Decoder for the tracer's binary records (layout: native/record.h).
export const enum RecordKind {
  Syscall = 1,
  Clone = 2,
  Exec = 3,
  Exit = 4,
  Lost = 5,
  Notice = 6,
  Signal = 7,
}

export const RecordFlag = {
  HasRet: 1,
  Thread: 2,
  Leader: 4,
  Foreign: 8,
  Main: 16,
  Vfork: 32,
  /** Exec/Syscall: a process found entering the container from outside (Exec args[1]: its parent in the namespace, 0 outside). */
  Entered: 64,
} as const;

export const ItemTag = {
  Arg0: 0,
  Out0: 8,
  Exe: 20,
  Cmdline: 21,
  Env: 22,
  Cwd: 23,
  Creds: 24,
  Local: 25,
  Text: 26,
  Comm: 27,
  /** Dir0 + i: the path of dirfd argument i, from /proc (not for AT_FDCWD). */
  Dir0: 40,
} as const;

export const NoticeCode = {
  Untraced: 1,
  NoSeccomp: 2,
  ExecFailed: 3,
  /** The analysis process ended (args[1]: wait status) and was restarted. */
  Analysis: 4,
  /** A process that entered the container could not be traced (args[1]: errno): it runs untraced. */
  EnteredUntraced: 5,
} as const;

export interface TraceRecord {
  kind: RecordKind;
  pid: number;
  tid: number;
  /** CLOCK_REALTIME, ns. */
  ts: bigint;
  /** Syscall number (x86_64 unless flags has Foreign), -1 for lifecycle records. */
  nr: number;
  flags: number;
  /** Return value, when flags has HasRet. */
  ret: number;
  /** Raw register values, as signed 64-bit numbers (exact for |v| < 2^53). */
  args: number[];
  /** Data read behind pointers and from /proc, by tag. */
  items: Map<number, Buffer>;
}

export interface Creds {
  ruid: number;
  euid: number;
  suid: number;
  fsuid: number;
  rgid: number;
  egid: number;
  sgid: number;
  fsgid: number;
  capInh: bigint;
  capPrm: bigint;
  capEff: bigint;
  loginuid: number;
  vpid: number;
  ppid: number;
  sid: number;
  pgid: number;
  tty: number;
  startTicks: bigint;
}

const HDR = 88;

function i64(buf: Buffer, off: number): number {
  const lo = buf.readUInt32LE(off);
  const hi = buf.readUInt32LE(off + 4);
  return hi >= 0x80000000 ? (hi - 0x100000000) * 0x100000000 + lo : hi * 0x100000000 + lo;
}

/** Decodes every record in a drained buffer. */
export function decodeRecords(buf: Buffer, out: TraceRecord[] = []): TraceRecord[] {
  let off = 0;
  while (off + HDR <= buf.length) {
    const size = buf.readUInt32LE(off);
    const kind = buf.readUInt16LE(off + 4);
    const nitems = buf.readUInt16LE(off + 6);
    if (size < HDR || off + size > buf.length) break;
    const args = new Array<number>(6);
    for (let i = 0; i < 6; i++) args[i] = i64(buf, off + 40 + i * 8);
    const items = new Map<number, Buffer>();
    let p = off + HDR;
    for (let i = 0; i < nitems && p + 8 <= off + size; i++) {
      const tag = buf.readUInt16LE(p);
      const len = buf.readUInt32LE(p + 4);
      items.set(tag, buf.subarray(p + 8, p + 8 + len));
      p += 8 + ((len + 7) & ~7);
    }
    out.push({
      kind: kind as RecordKind,
      pid: buf.readInt32LE(off + 8),
      tid: buf.readInt32LE(off + 12),
      ts: buf.readBigUInt64LE(off + 16),
      nr: buf.readInt32LE(off + 24),
      flags: buf.readUInt32LE(off + 28),
      ret: i64(buf, off + 32),
      args,
      items,
    });
    off += size;
  }
  return out;
}

export function itemString(rec: TraceRecord, tag: number): string | undefined {
  const b = rec.items.get(tag);
  return b === undefined ? undefined : b.toString('utf8');
}

/** NUL-separated list (cmdline, environ); a trailing NUL does not add an entry. */
export function itemList(rec: TraceRecord, tag: number): string[] | undefined {
  const b = rec.items.get(tag);
  if (b === undefined) return undefined;
  if (b.length === 0) return [];
  const s = b.toString('utf8');
  const parts = s.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export function itemCreds(rec: TraceRecord): Creds | undefined {
  const b = rec.items.get(ItemTag.Creds);
  if (b === undefined || b.length < 88) return undefined;
  return {
    ruid: b.readUInt32LE(0),
    euid: b.readUInt32LE(4),
    suid: b.readUInt32LE(8),
    fsuid: b.readUInt32LE(12),
    rgid: b.readUInt32LE(16),
    egid: b.readUInt32LE(20),
    sgid: b.readUInt32LE(24),
    fsgid: b.readUInt32LE(28),
    capInh: b.readBigUInt64LE(32),
    capPrm: b.readBigUInt64LE(40),
    capEff: b.readBigUInt64LE(48),
    loginuid: b.readUInt32LE(56) === 0xffffffff ? -1 : b.readUInt32LE(56),
    vpid: b.readInt32LE(60),
    ppid: b.readInt32LE(64),
    sid: b.readInt32LE(68),
    pgid: b.readInt32LE(72),
    tty: b.readInt32LE(76),
    startTicks: b.readBigUInt64LE(80),
  };
}
