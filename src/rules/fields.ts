// The syscall field catalogue: every Falco field the rules can name
// (evt.*, proc.*, thread.*, fd.*, user.*, group.*, container.*, k8s.*), with
// its type and an extractor over the event-plus-state model. Extractors
// return undefined when Falco would print `<NA>`; they never throw on
// missing state. Fields with `list: true` return an array of values.

import { posix } from 'node:path';
import type { FdInfo, ProcessInfo, SyscallEvent } from '../events/model.js';
import { eventCategory } from '../events/category.js';
import { paramSchema, renderArg, renderRes, syscallSchema } from '../events/schema.js';
import { globToRegExp } from './glob.js';
import { opensWithFlags, syscallsWith } from '../model/syscalls.js';

export type FieldType =
  | 'string' | 'int' | 'uint' | 'bool' | 'ipaddr' | 'ipnet' | 'port' | 'abstime' | 'reltime' | 'bytes';

export type FieldValue = string | number | bigint | boolean | Uint8Array;
export type Extractor = (e: SyscallEvent) => FieldValue | FieldValue[] | undefined;

export interface FieldContext {
  hostname: string;
  /**
   * Resolves a host name written in a rule (fd.sip.name = example.com) to
   * IP addresses, once at load time. Without it, such checks never match.
   */
  resolveHost?: (name: string) => string[] | undefined;
}

export interface FieldDef {
  name: string;
  type: FieldType;
  desc: string;
  /** none: no `[arg]`; required; optional; index: optional numeric. */
  argMode: 'none' | 'required' | 'optional';
  /** The field yields several values; comparisons are true when any value matches. */
  list?: boolean;
  /** A list in Falco's sense (EPF_IS_LIST): only in, intersects and exists apply. */
  falcoList?: boolean;
  /** For list fields: `in` means every value is in the set (fd.types); default: any value. */
  subsetIn?: boolean;
  /** For "either side" fields (fd.ip, fd.port, fd.net): `!=` holds when no value is equal. */
  neAll?: boolean;
  /** proc.aX without index: the per-ancestor value, so compiled checks can walk the ancestors without allocating. */
  ancestorValue?: (p: ProcessInfo) => FieldValue | undefined;
  /** The field yields an IP; constants are host names resolved with FieldContext.resolveHost. */
  hostnameCompare?: boolean;
  /** Returns an extractor for the given argument, or an error message. */
  bind(arg: string | undefined, ctx: FieldContext): Extractor | string;
}

const CATALOGUE = new Map<string, FieldDef>();

function def(
  name: string,
  type: FieldType,
  desc: string,
  get: Extractor,
  extra: Partial<Pick<FieldDef, 'list' | 'falcoList' | 'subsetIn' | 'hostnameCompare' | 'neAll' | 'ancestorValue'>> = {},
): void {
  CATALOGUE.set(name, { name, type, desc, argMode: 'none', ...extra, bind: () => get });
}

function defArg(
  name: string,
  type: FieldType,
  desc: string,
  argMode: 'required' | 'optional',
  bind: (arg: string | undefined, ctx: FieldContext) => Extractor | string,
  extra: Partial<Pick<FieldDef, 'list' | 'falcoList' | 'subsetIn' | 'hostnameCompare' | 'neAll' | 'ancestorValue'>> = {},
): void {
  CATALOGUE.set(name, { name, type, desc, argMode, ...extra, bind });
}

// ---------- helpers ----------

function ancestor(p: ProcessInfo, n: number): ProcessInfo | undefined {
  let cur: ProcessInfo | undefined = p;
  for (let i = 0; i < n && cur; i++) cur = cur.parent;
  return cur;
}

function argsText(p: ProcessInfo): string {
  return p.args.join(' ');
}
function cmdline(p: ProcessInfo): string {
  return p.args.length ? p.comm + ' ' + argsText(p) : p.comm;
}

const CAP_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

const capCache = new Map<bigint, string>();
/** Space-separated CAP_* names of a capability mask, as Falco prints them. */
export function capsToString(mask: bigint): string {
  let s = capCache.get(mask);
  if (s === undefined) {
    const names: string[] = [];
    for (let i = 0; i < CAP_NAMES.length; i++) if ((mask >> BigInt(i)) & 1n) names.push(CAP_NAMES[i]!);
    s = names.join(' ');
    if (capCache.size < 1024) capCache.set(mask, s);
  }
  return s;
}

const TYPECHAR: Record<string, string> = {
  file: 'f', directory: 'd', ipv4: '4', ipv6: '6', unix: 'u', pipe: 'p', event: 'e', signalfd: 's',
  eventpoll: 'l', inotify: 'i', timerfd: 't', netlink: 'n', memfd: 'm', bpf: 'b', userfaultfd: 'u',
  io_uring: 'r', unknown: 'o',
};

function isSocket(fd: FdInfo): boolean {
  return fd.type === 'ipv4' || fd.type === 'ipv6';
}

function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  if (i < 0) return path;
  if (i === 0) return '/';
  return path.slice(0, i);
}

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

function fileFd(e: SyscallEvent): FdInfo | undefined {
  const fd = e.fd;
  return fd && (fd.type === 'file' || fd.type === 'directory' || fd.type === 'memfd') ? fd : undefined;
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** `2016-08-04T16:17:57.881781397Z` from ns since the epoch. */
export function isoTime(ts: bigint): string {
  const ms = Number(ts / 1_000_000n);
  const d = new Date(ms);
  const ns = Number(ts % 1_000_000_000n);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(ns, 9)}Z`
  );
}

function flagsOf(e: SyscallEvent): number | undefined {
  const f = e.args['flags'];
  return typeof f === 'number' ? f : undefined;
}

/** Falco's open family for fs.path.* (opensWithFlags in the syscall table: not creat). */
const OPEN_TYPES = new Set(opensWithFlags());
/**
 * evt.is_open_* read the flags of every open (`open` role), creat's too: its
 * event carries the flags creat(2) means (O_WRONLY|O_CREAT|O_TRUNC, set in
 * src/events/decode.ts), so it is an open for writing that creates. libsinsp
 * leaves creat out but for is_open_exec (its event has no flags parameter);
 * the agent's default rules (fargate_open_write) count a creat as a write.
 */
const OPENS = new Set(syscallsWith('open'));
const O_ACCMODE = 3;
const O_CREAT = 0o100;
const O_TMPFILE = 0o20200000;

function ipInNet(ip: string, net: string): boolean {
  const [base, bitsText] = net.split('/');
  if (!base) return false;
  if (ip.includes(':') !== base.includes(':')) return false;
  if (!ip.includes(':')) {
    const a = ipv4ToInt(ip);
    const b = ipv4ToInt(base);
    if (a === undefined || b === undefined) return false;
    const bits = bitsText === undefined ? 32 : Number(bitsText);
    if (bits === 0) return true;
    const mask = (0xffffffff << (32 - bits)) >>> 0;
    return ((a & mask) >>> 0) === ((b & mask) >>> 0);
  }
  const a = ipv6ToBig(ip);
  const b = ipv6ToBig(base);
  if (a === undefined || b === undefined) return false;
  const bits = BigInt(bitsText === undefined ? 128 : Number(bitsText));
  const shift = 128n - bits;
  return a >> shift === b >> shift;
}

/** Dotted quad to an unsigned 32-bit number, without allocating; undefined when malformed. */
function ipv4ToInt(ip: string): number | undefined {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255) return undefined;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      digits++;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0 || part > 255) return undefined;
  return n * 256 + part;
}

/** A membership test for a network (`10.0.0.0/8`, `::1/128`) or a single address, parsed once. */
export function compileNet(net: string): (ip: string) => boolean {
  const [base, bitsText] = net.split('/');
  if (base !== undefined && !base.includes(':')) {
    const b = ipv4ToInt(base);
    if (b === undefined) return () => false;
    const bits = bitsText === undefined ? 32 : Number(bitsText);
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    const want = (b & mask) >>> 0;
    return (ip) => {
      const a = ipv4ToInt(ip);
      return a !== undefined && ((a & mask) >>> 0) === want;
    };
  }
  return (ip) => ipInNet(ip, net);
}

function ipv6ToBig(ip: string): bigint | undefined {
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = ip.includes('::') ? 8 - h.length - t.length : 0;
  const groups = [...h, ...Array<string>(Math.max(0, fill)).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  let n = 0n;
  for (const g of groups) {
    const v = parseInt(g, 16);
    if (Number.isNaN(v)) return undefined;
    n = (n << 16n) | BigInt(v);
  }
  return n;
}

export { ipInNet };

/** Renders every parameter as `name=value ...` (evt.args). */
function renderArgs(e: SyscallEvent): string {
  const schema = syscallSchema(e.type);
  const parts: string[] = [];
  if (schema) {
    for (const p of schema.params) {
      const v = renderArg(p, e.args[p.name]);
      if (v !== undefined) parts.push(`${p.name}=${v}`);
    }
  } else {
    for (const [k, raw] of Object.entries(e.args)) {
      const v = renderArg(undefined, raw);
      if (v !== undefined) parts.push(`${k}=${v}`);
    }
  }
  return parts.join(' ');
}

function argByName(name: string): Extractor {
  return (e) => {
    const raw = e.args[name];
    if (raw === undefined) return undefined;
    const p = paramSchema(e.type, name);
    if (p && (p.type === 'uid' || p.type === 'gid') && typeof raw === 'number') {
      if (raw === 0) return 'root';
      if (p.type === 'uid' && raw === e.proc.user.uid && e.proc.user.name) return e.proc.user.name;
    }
    return renderArg(p, raw);
  };
}

function argByIndex(i: number): Extractor {
  return (e) => {
    const p = syscallSchema(e.type)?.params[i];
    return p ? argByName(p.name)(e) : undefined;
  };
}

function rawArg(name: string): Extractor {
  return (e) => {
    const raw = e.args[name];
    if (raw === undefined) return undefined;
    return typeof raw === 'bigint' ? Number(raw) : raw;
  };
}

// ---------- evt.* ----------

def('evt.num', 'uint', 'event number', (e) => e.num);
def('evt.count', 'uint', 'always 1 (for counting in aggregations)', () => 1);
def('syscall.type', 'string', 'the system call name, for syscall events', (e) => e.type);
// Paths the builder already made absolute from dirfd + name (src/state/builder.ts resolveRel).
const ABS_SRC: Record<string, string> = { renameat: 'oldpath', renameat2: 'oldpath', linkat: 'oldpath', symlinkat: 'target', rename: 'oldpath', link: 'oldpath', symlink: 'target' };
const ABS_DST: Record<string, string> = { renameat: 'newpath', renameat2: 'newpath', linkat: 'newpath', symlinkat: 'linkpath', rename: 'newpath', link: 'newpath', symlink: 'linkpath' };
const ABS_ONE: Record<string, string> = { unlinkat: 'name', unlink: 'path', mkdirat: 'path', mkdir: 'path', rmdir: 'path', fchmodat: 'filename', chmod: 'filename' };
const argText = (e: SyscallEvent, name: string | undefined): string | undefined => {
  const v = name === undefined ? undefined : e.args[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
};
def('evt.abspath', 'string', 'absolute path from dirfd and name (unlinkat, mkdirat, ...)', (e) => argText(e, ABS_ONE[e.type]));
def('evt.abspath.src', 'string', 'absolute source path (renameat, linkat, symlinkat)', (e) => argText(e, ABS_SRC[e.type]));
def('evt.abspath.dst', 'string', 'absolute destination path (renameat, linkat, symlinkat)', (e) => argText(e, ABS_DST[e.type]));
/**
 * libsinsp's fs.path.* (sinsp_filter_check_fspath): per event type, the
 * parameter each field reads ('fd': the event's fd.name); <NA> unless the
 * call succeeded (an open's fd, else res = 0). Link's source is the new
 * name and its target the existing file; a symlink's source is the link and
 * its target what it points to; a mount's source is the device.
 */
const FS_PATH: Record<string, { name?: string; source?: string; target?: string }> = {
  open: { name: 'name' }, openat: { name: 'name' }, openat2: { name: 'name' },
  mkdir: { name: 'path' }, mkdirat: { name: 'path' }, rmdir: { name: 'path' }, unlink: { name: 'path' }, unlinkat: { name: 'name' },
  chmod: { name: 'filename' }, fchmodat: { name: 'filename' }, fchmod: { name: 'fd' }, umount2: { name: 'name' },
  rename: { source: 'oldpath', target: 'newpath' }, renameat: { source: 'oldpath', target: 'newpath' }, renameat2: { source: 'oldpath', target: 'newpath' },
  link: { source: 'newpath', target: 'oldpath' }, linkat: { source: 'newpath', target: 'oldpath' },
  symlink: { source: 'linkpath', target: 'target' }, symlinkat: { source: 'linkpath', target: 'target' },
  mount: { source: 'dev', target: 'dir' },
};
/**
 * The raw value: as the call gave it (the *at calls' paths are already
 * resolved against their dirfd by the builder, so raw and resolved agree).
 * Resolved: an open's fd.name (its dirfd applied; libsinsp joins the cwd
 * whatever the dirfd), else the cwd joined to a relative path, normalised.
 */
function fsPath(e: SyscallEvent, role: 'name' | 'source' | 'target', raw: boolean): string | undefined {
  const param = FS_PATH[e.type]?.[role];
  if (param === undefined) return undefined;
  const ok = OPEN_TYPES.has(e.type) ? e.res >= 0 : e.res === 0;
  if (!ok) return undefined;
  if (param === 'fd') return e.fd?.name;
  if (!raw && OPEN_TYPES.has(e.type)) return e.fd?.name;
  const v = argText(e, param);
  if (v === undefined || raw) return v;
  return posix.isAbsolute(v) ? posix.normalize(v) : posix.join(e.proc.cwd, v);
}
def('fs.path.name', 'string', 'path of the file a filesystem call acts on', (e) => fsPath(e, 'name', false));
def('fs.path.nameraw', 'string', 'path as the call gave it', (e) => fsPath(e, 'name', true));
def('fs.path.source', 'string', 'source path of a rename, link, symlink or mount', (e) => fsPath(e, 'source', false));
def('fs.path.sourceraw', 'string', 'source path as the call gave it', (e) => fsPath(e, 'source', true));
def('fs.path.target', 'string', 'target path of a rename, link, symlink or mount', (e) => fsPath(e, 'target', false));
def('fs.path.targetraw', 'string', 'target path as the call gave it', (e) => fsPath(e, 'target', true));
def('evt.type', 'string', 'event type (syscall name)', (e) => e.type);
def('evt.dir', 'string', 'direction; always < (exit) in merged events', () => '<');
def('evt.cpu', 'int', 'cpu number', () => 0);
def('evt.source', 'string', 'event source', () => 'syscall');
def('evt.is_async', 'bool', 'asynchronous event', () => false);
// Times: integer ns in output_fields; their text form (formatter.ts) in output lines.
def('evt.time', 'abstime', 'time (text: HH:MM:SS.nnnnnnnnn, UTC)', (e) => e.ts);
def('evt.time.s', 'string', 'time HH:MM:SS', (e) => isoTime(e.ts).slice(11, 19));
def('evt.time.iso8601', 'abstime', 'ISO 8601 time', (e) => e.ts);
def('evt.datetime', 'abstime', 'date and time (text: YYYY-MM-DD HH:MM:SS.nnnnnnnnn, UTC)', (e) => e.ts);
def('evt.datetime.s', 'string', 'date and time to the second', (e) => isoTime(e.ts).slice(0, 19).replace('T', ' '));
def('evt.rawtime', 'abstime', 'ns since the epoch', (e) => e.ts);
def('evt.rawtime.s', 'uint', 's since the epoch', (e) => Number(e.ts / 1_000_000_000n));
def('evt.rawtime.ns', 'uint', 'ns part of the time', (e) => Number(e.ts % 1_000_000_000n));
def('evt.latency', 'reltime', 'latency (not measured)', () => 0);
def('evt.res', 'string', 'SUCCESS or the errno name', (e) => renderRes(e.res));
def('evt.rawres', 'int', 'return value', (e) => e.res);
def('evt.failed', 'bool', 'the call failed', (e) => e.res < 0);
def('evt.args', 'string', 'all arguments as text', renderArgs);
def('evt.info', 'string', 'all arguments as text', renderArgs);
def('evt.category', 'string', 'event category', (e) => eventCategory(e.type, e.fd?.type));
def('evt.hostname', 'string', 'host name', () => undefined);
def('evt.pluginname', 'string', 'plugin name', () => undefined);
def('evt.buffer', 'bytes', 'data buffer', (e) => {
  const d = e.args['data'];
  return d instanceof Uint8Array ? d : typeof d === 'string' ? Buffer.from(d, 'latin1') : undefined;
});
def('evt.buflen', 'uint', 'data buffer length', (e) => {
  const d = e.args['data'];
  return d instanceof Uint8Array || typeof d === 'string' ? d.length : undefined;
});
def('evt.is_open_read', 'bool', 'open for reading', (e) => {
  const f = flagsOf(e);
  return OPENS.has(e.type) && f !== undefined && ((f & O_ACCMODE) === 0 || (f & O_ACCMODE) === 2);
});
def('evt.is_open_write', 'bool', 'open for writing', (e) => {
  const f = flagsOf(e);
  return OPENS.has(e.type) && f !== undefined && ((f & O_ACCMODE) === 1 || (f & O_ACCMODE) === 2);
});
def('evt.is_open_exec', 'bool', 'open creating an executable file', (e) => {
  const f = flagsOf(e);
  const mode = e.args['mode'];
  const creating = OPENS.has(e.type) && f !== undefined && ((f & O_CREAT) !== 0 || (f & O_TMPFILE) === O_TMPFILE);
  return creating && typeof mode === 'number' && (mode & 0o111) !== 0;
});
def('evt.is_open_create', 'bool', 'open with O_CREAT', (e) => {
  const f = flagsOf(e);
  return OPENS.has(e.type) && f !== undefined && (f & O_CREAT) !== 0;
});
const IO_READ = new Set(['read', 'readv', 'pread', 'preadv', 'recvfrom', 'recvmsg', 'recvmmsg']);
const IO_WRITE = new Set(['write', 'writev', 'pwrite', 'pwritev', 'sendto', 'sendmsg', 'sendmmsg']);
def('evt.is_io', 'bool', 'read or write', (e) => IO_READ.has(e.type) || IO_WRITE.has(e.type));
def('evt.is_io_read', 'bool', 'read', (e) => IO_READ.has(e.type));
def('evt.is_io_write', 'bool', 'write', (e) => IO_WRITE.has(e.type));
def('evt.is_syslog', 'bool', 'write to syslog', () => false);
CATALOGUE.get('evt.hostname')!.bind = (_a, ctx) => () => ctx.hostname;
defArg('evt.arg', 'string', 'argument by name (evt.arg.NAME) or index (evt.arg[N]), as text', 'required', (arg) => {
  if (arg === undefined || arg === '') return 'evt.arg needs an argument name or index';
  return /^[0-9]+$/.test(arg) ? argByIndex(Number(arg)) : argByName(arg);
});
defArg('evt.rawarg', 'string', 'raw argument by name', 'required', (arg) => {
  if (arg === undefined || arg === '') return 'evt.rawarg needs an argument name';
  return rawArg(arg);
});

// ---------- proc.* / thread.* ----------

function defProc(suffix: string, type: FieldType, desc: string, get: (p: ProcessInfo, e: SyscallEvent) => FieldValue | undefined): void {
  def('proc.' + suffix, type, desc, (e) => get(e.proc, e));
}
/** proc.X and proc.pX (the parent's). */
function defProcAndParent(suffix: string, type: FieldType, desc: string, get: (p: ProcessInfo, e: SyscallEvent) => FieldValue | undefined): void {
  def('proc.' + suffix, type, desc, (e) => get(e.proc, e));
  def('proc.p' + suffix, type, 'parent ' + desc, (e) => (e.proc.parent ? get(e.proc.parent, e) : undefined));
}
/** proc.aX[n] (ancestor n, 0 = the process) and proc.aX (any ancestor from the parent up). */
function defAncestor(suffix: string, type: FieldType, desc: string, get: (p: ProcessInfo) => FieldValue | undefined): void {
  defArg('proc.a' + suffix, type, 'ancestor ' + desc, 'optional', (arg) => {
    if (arg === undefined || arg === '') {
      return (e) => {
        const out: FieldValue[] = [];
        for (let p = e.proc.parent; p; p = p.parent) {
          const v = get(p);
          if (v !== undefined) out.push(v);
        }
        return out;
      };
    }
    if (!/^[0-9]+$/.test(arg)) return `invalid ancestor index '${arg}'`;
    const n = Number(arg);
    return (e) => {
      const p = ancestor(e.proc, n);
      return p ? get(p) : undefined;
    };
  }, { list: true });
}

defProcAndParent('pid', 'int', 'pid', (p) => p.pid);
def('proc.ppid', 'int', 'parent pid', (e) => e.proc.parent?.pid);
defProcAndParent('vpid', 'int', 'pid in the pid namespace', (p) => p.vpid);
def('proc.pvpid', 'int', 'parent vpid', (e) => e.proc.parent?.vpid);
defProc('sid', 'int', 'session id', (p) => p.sid);
defProc('vpgid', 'int', 'process group id', (p) => p.vpgid);
defProc('is_vpgid_leader', 'bool', 'process group leader', (p) => p.vpid === p.vpgid);
defProc('is_sid_leader', 'bool', 'session leader', (p) => p.vpid === p.sid || p.pid === p.sid);
defProcAndParent('name', 'string', 'process name (comm)', (p) => p.comm);
def('proc.pname', 'string', 'parent name', (e) => e.proc.parent?.comm);
defProcAndParent('exe', 'string', 'argv[0]', (p) => p.exe);
defProcAndParent('exepath', 'string', 'executable path', (p) => p.exepath);
defProcAndParent('cmdline', 'string', 'name and arguments', (p) => cmdline(p));
defProc('args', 'string', 'arguments joined by spaces', (p) => argsText(p));
defProc('cmdnargs', 'uint', 'number of arguments', (p) => p.args.length);
defProc('cmdlenargs', 'uint', 'total length of arguments', (p) => p.args.reduce((n, a) => n + a.length, 0) + Math.max(0, p.args.length - 1));
defProc('exeline', 'string', 'exe and arguments', (p) => (p.args.length ? p.exe + ' ' + p.args.join(' ') : p.exe));
defProc('cwd', 'string', 'working directory', (p) => (p.cwd.endsWith('/') ? p.cwd : p.cwd + '/'));
defProc('tty', 'int', 'controlling tty', (p) => p.tty);
defProc('loginshellid', 'int', 'login shell pid', () => undefined);
defProc('duration', 'reltime', 'ns since the process started', (p, e) => Number(e.ts - p.startTs));
def('proc.ppid.duration', 'reltime', 'ns since the parent started', (e) => (e.proc.parent ? Number(e.ts - e.proc.parent.startTs) : undefined));
def('proc.pid.ts', 'abstime', 'process start time', (e) => e.proc.startTs);
def('proc.ppid.ts', 'abstime', 'parent start time', (e) => e.proc.parent?.startTs);
defProc('is_exe_writable', 'bool', 'executable is writable by the user', (p) => p.exeWritable);
defProc('is_exe_upper_layer', 'bool', 'executable in the overlayfs upper layer', (p) => p.exeUpperLayer);
defProc('is_entered', 'bool', 'entered the container from outside its entrypoint (ECS Exec, runc exec, nsenter), or descends from such a process', (p) => p.entered === true);
defProc('is_exe_from_memfd', 'bool', 'executable is a memfd', (p) => p.exeFromMemfd);
defProc('exe_ino', 'int', 'executable inode', (p) => p.exeIno);
defProc('exe_ino.ctime', 'abstime', 'executable ctime', (p) => p.exeInoCtime);
defProc('exe_ino.mtime', 'abstime', 'executable mtime', (p) => p.exeInoMtime);
defProc('exe_ino.ctime_duration_proc_start', 'reltime', 'ns between executable ctime and process start', (p) =>
  p.exeInoCtime === undefined ? undefined : Number(p.startTs - p.exeInoCtime),
);
defProc('is_container_healthcheck', 'bool', 'container health check', () => false);
defProc('is_container_liveness_probe', 'bool', 'liveness probe', () => false);
defProc('is_container_readiness_probe', 'bool', 'readiness probe', () => false);
defProc('fdopencount', 'uint', 'open fds', (p) => p.fds.size);
function sessionLeader(p: ProcessInfo): ProcessInfo | undefined {
  for (let c: ProcessInfo | undefined = p; c; c = c.parent) if (c.vpid === p.sid || c.pid === p.sid) return c;
  return undefined;
}
function groupLeader(p: ProcessInfo): ProcessInfo | undefined {
  for (let c: ProcessInfo | undefined = p; c; c = c.parent) if (c.vpid === p.vpgid) return c;
  return undefined;
}
defProc('sname', 'string', 'session leader name', (p) => sessionLeader(p)?.comm);
defProc('vpgid.name', 'string', 'process group leader name', (p) => groupLeader(p)?.comm);
defProc('vpgid.exe', 'string', 'process group leader exe', (p) => groupLeader(p)?.exe);
defProc('vpgid.exepath', 'string', 'process group leader exepath', (p) => groupLeader(p)?.exepath);
defAncestor('name', 'string', 'name', (p) => p.comm);
defAncestor('exe', 'string', 'exe', (p) => p.exe);
defAncestor('exepath', 'string', 'exepath', (p) => p.exepath);
defAncestor('pid', 'int', 'pid', (p) => p.pid);
defAncestor('cmdline', 'string', 'cmdline', (p) => cmdline(p));
defArg('proc.env', 'string', 'environment (all, or one variable by name)', 'optional', (arg) => {
  if (arg === undefined || arg === '') return (e) => e.proc.env?.join(' ');
  const prefix = arg + '=';
  return (e) => {
    const env = e.proc.env;
    if (!env) return undefined;
    for (const kv of env) if (kv.startsWith(prefix)) return kv.slice(prefix.length);
    return undefined;
  };
});
defArg('proc.aenv', 'string', 'environment of the process or an ancestor', 'optional', (arg) => {
  const prefix = (arg ?? '') + '=';
  return (e) => {
    for (let p: ProcessInfo | undefined = e.proc; p; p = p.parent) {
      if (!arg) return p.env?.join(' ');
      for (const kv of p.env ?? []) if (kv.startsWith(prefix)) return kv.slice(prefix.length);
    }
    return undefined;
  };
});
def('thread.tid', 'int', 'thread id', (e) => e.tid);
// The agent does not sample per-thread CPU time: known to rules, always <NA>.
def('thread.cpu', 'reltime', 'CPU time consumed by the thread (not measured)', () => undefined);
def('thread.vtid', 'int', 'thread id in the pid namespace', (e) => (e.tid === e.proc.pid ? e.proc.vpid : undefined));
def('thread.ismain', 'bool', 'main thread', (e) => e.tid === e.proc.pid);
def('thread.cap_effective', 'string', 'effective capabilities', (e) => capsToString(e.proc.capEffective));
def('thread.cap_permitted', 'string', 'permitted capabilities', (e) => capsToString(e.proc.capPermitted));
def('thread.cap_inheritable', 'string', 'inheritable capabilities', (e) => capsToString(e.proc.capInheritable));

// ---------- user.* / group.* ----------

def('user.uid', 'uint', 'user id', (e) => e.proc.user.uid);
def('user.name', 'string', 'user name', (e) => e.proc.user.name);
def('user.homedir', 'string', 'home directory', (e) => e.proc.user.homedir);
def('user.shell', 'string', 'login shell', (e) => e.proc.user.shell);
def('user.loginuid', 'int', 'audit login uid (-1 when unset)', (e) => e.proc.loginuid);
def('user.loginname', 'string', 'audit login user name', (e) => e.proc.loginuser?.name);
def('group.gid', 'uint', 'group id', (e) => e.proc.group.gid);
def('group.name', 'string', 'group name', (e) => e.proc.group.name);

// ---------- fd.* ----------

function defFd(suffix: string, type: FieldType, desc: string, get: (fd: FdInfo, e: SyscallEvent) => FieldValue | undefined): void {
  def('fd.' + suffix, type, desc, (e) => (e.fd ? get(e.fd, e) : undefined));
}
function sockSide(fd: FdInfo, side: 'c' | 's' | 'l' | 'r'): { ip?: string; port?: number } | undefined {
  const s = fd.sock;
  if (!s || !isSocket(fd)) return undefined;
  const client = { ip: s.clientIp, port: s.clientPort };
  const server = { ip: s.serverIp, port: s.serverPort };
  if (side === 'c') return client;
  if (side === 's') return server;
  const local = s.isClient === false ? server : client;
  const remote = s.isClient === false ? client : server;
  return side === 'l' ? local : remote;
}

def('fd.num', 'int', 'fd number', (e) => {
  if (e.fd) return e.fd.num;
  const f = e.args['fd'];
  return typeof f === 'number' ? f : undefined;
});
defFd('type', 'string', 'fd type', (fd) => fd.type);
defFd('typechar', 'string', 'fd type as a character', (fd) => TYPECHAR[fd.type] ?? 'o');
defFd('name', 'string', 'fd name (path or connection tuple)', (fd) => fd.name);
defFd('nameraw', 'string', 'path as passed', (fd) => fd.nameRaw ?? fd.name);
defFd('name_changed', 'bool', 'fd renamed', (fd) => fd.nameChanged === true);
def('fd.directory', 'string', 'directory of the file', (e) => {
  const fd = fileFd(e);
  if (!fd) return undefined;
  return fd.type === 'directory' ? fd.name : dirname(fd.name);
});
def('fd.filename', 'string', 'file name without directory', (e) => {
  const fd = fileFd(e);
  return fd && fd.type !== 'directory' ? basename(fd.name) : undefined;
});
def('fd.containername', 'string', 'container id + fd name', (e) => (e.fd ? e.proc.container.id + ':' + e.fd.name : undefined));
def('fd.containerdirectory', 'string', 'container id + directory', (e) => {
  const fd = fileFd(e);
  return fd ? e.proc.container.id + ':' + dirname(fd.name) : undefined;
});
defFd('dev', 'uint', 'device', () => undefined);
defFd('ino', 'uint', 'inode', (fd) => fd.ino);
defFd('openflags', 'uint', 'open flags', (fd) => fd.openFlags);
defFd('connected', 'bool', 'socket connected', (fd) => (fd.sock ? fd.sock.connected : undefined));
defFd('is_server', 'bool', 'server side of a socket', (fd) => (fd.sock && fd.sock.isClient !== undefined ? !fd.sock.isClient : undefined));
defFd('sockfamily', 'string', 'ip or unix', (fd) => (isSocket(fd) ? 'ip' : fd.type === 'unix' ? 'unix' : undefined));
defFd('l4proto', 'string', 'tcp, udp, icmp or raw', (fd) => (isSocket(fd) ? fd.sock?.l4proto : undefined));
for (const side of ['c', 's', 'l', 'r'] as const) {
  defFd(side + 'ip', 'ipaddr', `${side} side ip`, (fd) => sockSide(fd, side)?.ip);
  defFd(side + 'port', 'port', `${side} side port`, (fd) => sockSide(fd, side)?.port);
  defFd(side + 'net', 'ipnet', `${side} side ip (network comparisons)`, (fd) => sockSide(fd, side)?.ip);
  def('fd.' + side + 'ip.name', 'string', `${side} side domain name (compared by resolving the rule's host names)`, (e) =>
    e.fd ? sockSide(e.fd, side)?.ip : undefined, { hostnameCompare: true });
  defFd(side + 'proto', 'string', `${side} side protocol`, () => undefined);
}
def('fd.ip', 'ipaddr', 'either ip', (e) => {
  const fd = e.fd;
  if (!fd || !isSocket(fd) || !fd.sock) return undefined;
  return [fd.sock.clientIp, fd.sock.serverIp].filter((x): x is string => x !== undefined);
}, { list: true, neAll: true });
def('fd.port', 'port', 'either port', (e) => {
  const fd = e.fd;
  if (!fd || !isSocket(fd) || !fd.sock) return undefined;
  return [fd.sock.clientPort, fd.sock.serverPort].filter((x): x is number => x !== undefined);
}, { list: true, neAll: true });
def('fd.net', 'ipnet', 'either ip (network comparisons)', (e) => {
  const fd = e.fd;
  if (!fd || !isSocket(fd) || !fd.sock) return undefined;
  return [fd.sock.clientIp, fd.sock.serverIp].filter((x): x is string => x !== undefined);
}, { list: true, neAll: true });
defArg('fd.types', 'string', 'types of the open fds (or of fd N)', 'optional', (arg) => {
  if (arg === undefined || arg === '') {
    return (e) => [...new Set([...e.proc.fds.values()].map((f) => f.type))];
  }
  if (!/^[0-9]+$/.test(arg)) return `invalid fd number '${arg}'`;
  const n = Number(arg);
  return (e) => {
    return e.proc.fds.get(n)?.type;
  };
}, { list: true, falcoList: true, subsetIn: true });

// ---------- container.* ----------

def('container.id', 'string', 'container id (12 chars)', (e) => e.proc.container.id);
def('container.full_id', 'string', 'container id', (e) => e.proc.container.id);
def('container.name', 'string', 'container name', (e) => e.proc.container.name);
def('container.image', 'string', 'image', (e) => e.proc.container.image);
def('container.image.id', 'string', 'image id', (e) => e.proc.container.imageId);
def('container.image.repository', 'string', 'image repository', (e) => e.proc.container.imageRepository);
def('container.image.tag', 'string', 'image tag', (e) => e.proc.container.imageTag);
def('container.image.digest', 'string', 'image digest', (e) => e.proc.container.imageDigest);
def('container.type', 'string', 'container type', (e) => (e.proc.container.id === 'host' ? undefined : 'ecs'));
def('container.privileged', 'bool', 'privileged', (e) => e.proc.container.privileged);
def('container.start_ts', 'abstime', 'container start', (e) => e.proc.container.startTs);
def('container.duration', 'reltime', 'ns since the container started', (e) =>
  e.proc.container.startTs === undefined ? undefined : Number(e.ts - e.proc.container.startTs),
);
def('container.healthcheck', 'string', 'health check', () => undefined);
def('container.liveness_probe', 'string', 'liveness probe', () => undefined);
def('container.readiness_probe', 'string', 'readiness probe', () => undefined);
def('container.mounts', 'string', 'mounts as source:dest:mode:rdwr:propagation, comma separated', (e) => {
  const m = e.proc.container.mounts;
  return m ? m.map((x) => `${x.source}:${x.dest}:${x.mode ?? ''}:${x.rw === false ? 'false' : 'true'}:rprivate`).join(',') : undefined;
});
function defMount(suffix: string, byKey: 'source' | 'dest', get: (m: NonNullable<ContainerMounts>[number]) => FieldValue | undefined): void {
  defArg('container.mount.' + suffix, 'string', `mount ${suffix} by index or by ${byKey} glob`, 'required', (arg) => {
    if (arg === undefined || arg === '') return `container.mount.${suffix} needs an argument`;
    if (/^[0-9]+$/.test(arg)) {
      const i = Number(arg);
      return (e) => {
        const m = e.proc.container.mounts?.[i];
        return m ? get(m) : undefined;
      };
    }
    const re = globToRegExp(arg, false);
    return (e) => {
      const m = e.proc.container.mounts?.find((x) => re.test(x[byKey]));
      return m ? get(m) : undefined;
    };
  });
}
type ContainerMounts = SyscallEvent['proc']['container']['mounts'];
defMount('source', 'dest', (m) => m.source);
defMount('dest', 'source', (m) => m.dest);
defMount('mode', 'source', (m) => m.mode);
defMount('rdwr', 'source', (m) => (m.rw === false ? 'false' : 'true'));
defArg('container.mount', 'string', 'mount by index or source glob', 'required', (arg) => {
  if (arg === undefined || arg === '') return 'container.mount needs an argument';
  const re = /^[0-9]+$/.test(arg) ? undefined : globToRegExp(arg, false);
  const i = Number(arg);
  return (e) => {
    const ms = e.proc.container.mounts;
    const m = re ? ms?.find((x) => re.test(x.source)) : ms?.[i];
    return m ? `${m.source}:${m.dest}:${m.mode ?? ''}:${m.rw === false ? 'false' : 'true'}:rprivate` : undefined;
  };
});
defArg('container.label', 'string', 'container label', 'required', (arg) => (e) => (arg ? e.proc.container.labels?.[arg] : undefined));
def('container.labels', 'string', 'container labels', (e) => {
  const l = e.proc.container.labels;
  return l ? Object.entries(l).map(([k, v]) => `${k}:${v}`).join(', ') : undefined;
});

// ---------- k8s.* (known, never set on Fargate ECS) ----------

for (const n of [
  'k8s.pod.name', 'k8s.pod.id', 'k8s.pod.uid', 'k8s.pod.sandbox_id', 'k8s.pod.full_sandbox_id', 'k8s.pod.labels',
  'k8s.pod.ip', 'k8s.pod.cni.json', 'k8s.ns.name', 'k8s.ns.id', 'k8s.ns.labels', 'k8s.rc.name', 'k8s.rc.id',
  'k8s.rc.labels', 'k8s.rs.name', 'k8s.rs.id', 'k8s.rs.labels', 'k8s.svc.name', 'k8s.svc.id', 'k8s.svc.labels',
  'k8s.deployment.name', 'k8s.deployment.id', 'k8s.deployment.labels',
]) {
  def(n, 'string', 'Kubernetes metadata (not available)', () => undefined);
}
for (const n of ['k8s.pod.label', 'k8s.ns.label', 'k8s.rc.label', 'k8s.rs.label', 'k8s.svc.label', 'k8s.deployment.label']) {
  defArg(n, 'string', 'Kubernetes label (not available)', 'required', () => () => undefined);
}

// ---------- lookup ----------

export interface ResolvedField {
  def: FieldDef;
  arg: string | undefined;
}

/**
 * Resolves a field name as written in a rule (`evt.arg.flags`, `proc.aname`
 * with `[2]` given apart) to its definition. Returns undefined when unknown.
 */
export function resolveField(name: string, arg: string | undefined): ResolvedField | undefined {
  const d = CATALOGUE.get(name);
  if (d) {
    if (d.argMode === 'none' && arg !== undefined) return undefined;
    return { def: d, arg };
  }
  for (const prefix of ['evt.arg.', 'evt.rawarg.', 'proc.env.', 'container.label.']) {
    if (name.startsWith(prefix) && arg === undefined && name.length > prefix.length) {
      const base = CATALOGUE.get(prefix.slice(0, -1));
      if (base) return { def: base, arg: name.slice(prefix.length) };
    }
  }
  return undefined;
}

/** The catalogue, for documentation and debug views. */
export function listFields(): FieldDef[] {
  return [...CATALOGUE.values()];
}
