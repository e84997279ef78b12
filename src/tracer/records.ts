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
  /** An exec's executable: its inode facts (ExeStat). */
  ExeStat: 28,
  /** Dir0 + i: the path of dirfd argument i, from /proc (not for AT_FDCWD). */
  Dir0: 40,
  /** Fd0 + i: what the kernel says of the fd in argument i at the record's stop (FdFacts). */
  Fd0: 48,
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

/**
 * Byte offsets of native/record.h's RecHdr and Creds (checked against the
 * addon's offsetof values by test/tracer/native-tables.test.ts).
 */
export const LAYOUT = {
  hdr: { size: 88, kind: 4, nitems: 6, pid: 8, tid: 12, ts: 16, nr: 24, flags: 28, ret: 32, args: 40 },
  creds: { size: 88, ruid: 0, euid: 4, suid: 8, fsuid: 12, rgid: 16, egid: 20, sgid: 24, fsgid: 28, capInh: 32, capPrm: 40, capEff: 48, loginuid: 56, vpid: 60, ppid: 64, sid: 68, pgid: 72, tty: 76, startTicks: 80 },
} as const;
const H = LAYOUT.hdr;
const C = LAYOUT.creds;
const HDR = H.size;

/** native/record.h FdFacts: an fd as the kernel had it while the tracee was stopped. */
export interface FdFacts {
  fd: number;
  /** st_mode */
  mode: number;
  /** open flags (fdinfo), O_CLOEXEC included */
  flags: number;
  ino: bigint;
  /** sockets: SO_DOMAIN, SO_TYPE, SO_PROTOCOL; -1 otherwise */
  domain: number;
  sotype: number;
  proto: number;
  local?: Buffer;
  peer?: Buffer;
  /** connected TCP: 1 the local port has a listener (the accepted side, the server), 2 not (the client), 0 unknown */
  role: number;
  /** readlink /proc/PID/fd/N */
  link: string;
}

/** Byte offsets of native/record.h's FdFacts (the readlink target follows it; checked like LAYOUT). */
export const FD_FACTS_LAYOUT = { size: 296, fd: 0, mode: 4, flags: 8, domain: 12, sotype: 16, proto: 20, ino: 24, localLen: 32, peerLen: 34, role: 36, local: 40, peer: 168, addrMax: 128 } as const;

/** native/record.h ExeStat: the executable of an exec's image, from stat/statfs of /proc/PID/exe at the exec event. */
export interface ExeStat {
  ino: bigint;
  /** ns since the epoch */
  ctime: bigint;
  mtime: bigint;
  mode: number;
  uid: number;
  gid: number;
  /** on an overlayfs */
  overlay: boolean;
  /** its inode changed after the supervisor started: this run wrote it (or copied it up) */
  sinceStart: boolean;
  /** on a read-only mount */
  readOnly: boolean;
  /** its group is one of the process's supplementary groups */
  groupMember: boolean;
}

/** Byte offsets of native/record.h's ExeStat and its flag bits (checked like LAYOUT). */
export const EXE_STAT_LAYOUT = {
  size: 40, ino: 0, ctime: 8, mtime: 16, mode: 24, uid: 28, gid: 32, flags: 36,
  flagBits: { Overlay: 1, SinceStart: 2, ReadOnly: 4, GroupMember: 8 },
} as const;

export function itemExeStat(rec: TraceRecord): ExeStat | undefined {
  const X = EXE_STAT_LAYOUT;
  const b = rec.items.get(ItemTag.ExeStat);
  if (b === undefined || b.length < X.size) return undefined;
  const flags = b.readUInt32LE(X.flags);
  return {
    ino: b.readBigUInt64LE(X.ino),
    ctime: b.readBigInt64LE(X.ctime),
    mtime: b.readBigInt64LE(X.mtime),
    mode: b.readUInt32LE(X.mode),
    uid: b.readUInt32LE(X.uid),
    gid: b.readUInt32LE(X.gid),
    overlay: (flags & X.flagBits.Overlay) !== 0,
    sinceStart: (flags & X.flagBits.SinceStart) !== 0,
    readOnly: (flags & X.flagBits.ReadOnly) !== 0,
    groupMember: (flags & X.flagBits.GroupMember) !== 0,
  };
}

export function itemFdFacts(rec: TraceRecord, tag: number): FdFacts | undefined {
  const F = FD_FACTS_LAYOUT;
  const b = rec.items.get(tag);
  if (b === undefined || b.length < F.size) return undefined;
  const localLen = Math.min(b.readUInt16LE(F.localLen), F.addrMax);
  const peerLen = Math.min(b.readUInt16LE(F.peerLen), F.addrMax);
  return {
    fd: b.readInt32LE(F.fd),
    mode: b.readUInt32LE(F.mode),
    flags: b.readUInt32LE(F.flags),
    domain: b.readInt32LE(F.domain),
    sotype: b.readInt32LE(F.sotype),
    proto: b.readInt32LE(F.proto),
    ino: b.readBigUInt64LE(F.ino),
    local: localLen ? b.subarray(F.local, F.local + localLen) : undefined,
    peer: peerLen ? b.subarray(F.peer, F.peer + peerLen) : undefined,
    role: b.readUInt32LE(F.role),
    link: b.subarray(F.size).toString('utf8'),
  };
}


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
    const kind = buf.readUInt16LE(off + H.kind);
    const nitems = buf.readUInt16LE(off + H.nitems);
    if (size < HDR || off + size > buf.length) break;
    const args = new Array<number>(6);
    for (let i = 0; i < 6; i++) args[i] = i64(buf, off + H.args + i * 8);
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
      pid: buf.readInt32LE(off + H.pid),
      tid: buf.readInt32LE(off + H.tid),
      ts: buf.readBigUInt64LE(off + H.ts),
      nr: buf.readInt32LE(off + H.nr),
      flags: buf.readUInt32LE(off + H.flags),
      ret: i64(buf, off + H.ret),
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
  if (b === undefined || b.length < C.size) return undefined;
  return {
    ruid: b.readUInt32LE(C.ruid),
    euid: b.readUInt32LE(C.euid),
    suid: b.readUInt32LE(C.suid),
    fsuid: b.readUInt32LE(C.fsuid),
    rgid: b.readUInt32LE(C.rgid),
    egid: b.readUInt32LE(C.egid),
    sgid: b.readUInt32LE(C.sgid),
    fsgid: b.readUInt32LE(C.fsgid),
    capInh: b.readBigUInt64LE(C.capInh),
    capPrm: b.readBigUInt64LE(C.capPrm),
    capEff: b.readBigUInt64LE(C.capEff),
    loginuid: b.readUInt32LE(C.loginuid) === 0xffffffff ? -1 : b.readUInt32LE(C.loginuid),
    vpid: b.readInt32LE(C.vpid),
    ppid: b.readInt32LE(C.ppid),
    sid: b.readInt32LE(C.sid),
    pgid: b.readInt32LE(C.pgid),
    tty: b.readInt32LE(C.tty),
    startTicks: b.readBigUInt64LE(C.startTicks),
  };
}
