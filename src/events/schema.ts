// Falco's events as the rules see them: each event's parameter schema (the
// syscalls' from the syscall table, src/model/syscalls.ts, where the raw
// values the decoder puts in SyscallEvent.args are described), evt.type's
// names, and the renderers that turn a raw value into the text Falco prints
// for evt.arg.X.
import { OPEN_FLAGS, type NameTable } from '../model/flags.js';
import { SYSCALLS, type ParamSchema, type ParamType, type SyscallSchema } from '../model/syscalls.js';

/** Linux errno names by number (x86_64/aarch64 generic values). */
export const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 7: 'E2BIG', 8: 'ENOEXEC',
  9: 'EBADF', 10: 'ECHILD', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 15: 'ENOTBLK',
  16: 'EBUSY', 17: 'EEXIST', 18: 'EXDEV', 19: 'ENODEV', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL',
  23: 'ENFILE', 24: 'EMFILE', 25: 'ENOTTY', 26: 'ETXTBSY', 27: 'EFBIG', 28: 'ENOSPC', 29: 'ESPIPE',
  30: 'EROFS', 31: 'EMLINK', 32: 'EPIPE', 33: 'EDOM', 34: 'ERANGE', 35: 'EDEADLK', 36: 'ENAMETOOLONG',
  37: 'ENOLCK', 38: 'ENOSYS', 39: 'ENOTEMPTY', 40: 'ELOOP', 61: 'ENODATA', 62: 'ETIME',
  75: 'EOVERFLOW', 88: 'ENOTSOCK', 89: 'EDESTADDRREQ', 90: 'EMSGSIZE', 91: 'EPROTOTYPE',
  92: 'ENOPROTOOPT', 93: 'EPROTONOSUPPORT', 94: 'ESOCKTNOSUPPORT', 95: 'EOPNOTSUPP',
  97: 'EAFNOSUPPORT', 98: 'EADDRINUSE', 99: 'EADDRNOTAVAIL', 100: 'ENETDOWN', 101: 'ENETUNREACH',
  103: 'ECONNABORTED', 104: 'ECONNRESET', 105: 'ENOBUFS', 106: 'EISCONN', 107: 'ENOTCONN',
  110: 'ETIMEDOUT', 111: 'ECONNREFUSED', 113: 'EHOSTUNREACH', 114: 'EALREADY', 115: 'EINPROGRESS',
};

/** Renders an errno-style result: `SUCCESS`/the value when >= 0, else the errno name. */
export function renderRes(res: number): string {
  if (res >= 0) return 'SUCCESS';
  return ERRNO_NAMES[-res] ?? String(res);
}

const flagCache = new WeakMap<NameTable, Map<number, string>>();

/** Renders a flags value with a table, stripping matched bits, joined by `|` (memoised). */
export function renderFlags(value: number, table: NameTable): string {
  let cache = flagCache.get(table);
  if (!cache) flagCache.set(table, (cache = new Map()));
  let s = cache.get(value);
  if (s === undefined) {
    s = renderFlagsUncached(value, table);
    if (cache.size < 4096) cache.set(value, s);
  }
  return s;
}

function renderFlagsUncached(value: number, table: NameTable): string {
  let rest = value >>> 0;
  const out: string[] = [];
  if (table === OPEN_FLAGS) {
    const acc = rest & 3;
    rest &= ~3 >>> 0;
    out.push(acc === 0 ? 'O_RDONLY' : acc === 1 ? 'O_WRONLY' : 'O_RDWR');
  }
  for (const [name, bits] of table.entries) {
    if (bits !== 0 && (rest & bits) >>> 0 === bits) {
      out.push(name);
      rest = (rest & ~bits) >>> 0;
    }
  }
  if (out.length === 0) return table === OPEN_FLAGS ? 'O_RDONLY' : '0';
  return out.join('|');
}

function renderEnum(value: number, table: NameTable): string {
  for (const [name, v] of table.entries) if (v === value) return name;
  return String(value);
}

/**
 * Renders a raw parameter value as Falco prints evt.arg.NAME. Returns
 * undefined when the value is missing.
 */
export function renderArg(p: ParamSchema | undefined, raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (p === undefined) return rawToString(raw);
  switch (p.type) {
    case 'fd':
      return typeof raw === 'number' && raw < 0 ? `${raw}(${ERRNO_NAMES[-raw] ?? 'E' + -raw})` : rawToString(raw);
    case 'errno':
      return typeof raw === 'number' ? (raw < 0 ? renderRes(raw) : String(raw)) : rawToString(raw);
    case 'flags':
      return typeof raw === 'number' && p.table ? renderFlags(raw, p.table) : rawToString(raw);
    case 'enum':
      return typeof raw === 'number' && p.table ? renderEnum(raw, p.table) : rawToString(raw);
    case 'mode':
      return typeof raw === 'number' ? '0' + raw.toString(8) : rawToString(raw);
    default:
      return rawToString(raw);
  }
}

function rawToString(raw: unknown): string {
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString('latin1');
  return String(raw);
}

// ---- The table ----

const p = (name: string, type: ParamType): ParamSchema => ({ name, type });

/** Falco events the agent makes that are not syscalls. */
const OTHER_EVENTS: SyscallSchema[] = [
  { name: 'procexit', params: [p('status', 'int'), p('ret', 'int'), p('sig', 'sig'), p('core', 'uint')] },
];

const TABLE: readonly SyscallSchema[] = [...SYSCALLS, ...OTHER_EVENTS];

const BY_NAME = new Map<string, SyscallSchema>(TABLE.map((s) => [s.name, s]));
const PARAM_INDEX = new Map<string, Map<string, ParamSchema>>(
  TABLE.map((s) => [s.name, new Map(s.params.map((x) => [x.name, x]))]),
);

/** All syscall schemas known to the agent. */
export const SYSCALL_SCHEMAS: readonly SyscallSchema[] = TABLE;

/** The schema of a Falco syscall event by name, or undefined. */
export function syscallSchema(name: string): SyscallSchema | undefined {
  return BY_NAME.get(name);
}

/** The schema of parameter `param` of event `type`, or undefined. */
export function paramSchema(type: string, param: string): ParamSchema | undefined {
  return PARAM_INDEX.get(type)?.get(param);
}

/**
 * Every Falco syscall event name (the set `evt.type` can take in rules): the
 * events the agent makes (not the syscalls it knows only for its tests), then
 * names Falco knows that the agent does not decode, which are still valid
 * event names.
 */
export const FALCO_SYSCALL_NAMES: readonly string[] = [
  ...SYSCALLS.filter((r) => !r.testOnly).map((r) => r.name),
  ...OTHER_EVENTS.map((e) => e.name),
  'read', 'write', 'readv', 'writev', 'pread', 'pwrite', 'preadv', 'pwritev', 'lseek', 'llseek', 'stat', 'lstat', 'fstat',
  'stat64', 'lstat64', 'fstat64', 'access', 'faccessat', 'faccessat2', 'newfstatat', 'statx', 'getdents', 'getdents64', 'ioctl',
  'mmap', 'mmap2', 'munmap', 'mprotect', 'brk', 'poll', 'ppoll', 'select', 'pselect6', 'epoll_wait', 'epoll_pwait', 'epoll_create',
  'epoll_create1', 'eventfd', 'eventfd2', 'signalfd', 'signalfd4', 'timerfd_create', 'inotify_init', 'inotify_init1',
  'shutdown', 'getsockopt', 'setsockopt', 'getsockname', 'getpeername', 'sendmmsg', 'recvmmsg', 'nanosleep', 'futex',
  'getcwd', 'chown', 'lchown', 'fchown', 'fchownat', 'truncate', 'ftruncate', 'flock', 'fsync', 'fdatasync', 'sync',
  'tkill', 'exit', 'exit_group', 'getrlimit', 'setrlimit', 'prlimit', 'getuid', 'geteuid', 'getgid',
  'getegid', 'getresuid', 'getresgid', 'setpgid', 'setsid', 'seccomp', 'splice', 'sendfile', 'chroot', 'pivot_root',
  'umount', 'quotactl', 'semop', 'semget', 'semctl', 'mlock', 'munlock', 'mlockall', 'munlockall', 'signaldeliver',
  'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'copy_file_range', 'open_by_handle_at',
  'fsconfig', 'epoll_ctl', 'pidfd_open', 'pidfd_getfd', 'process_vm_readv', 'process_vm_writev',
  'container', 'switch', 'procinfo', 'notification', 'infra', 'pluginevent', 'asyncevent',
];
