// Falco's syscall event parameter table, for the syscalls the upstream rules
// and the state tracking use: event name, the parameters of the merged exit
// event (entry arguments + result, as Falco >= 0.42 presents them, named as
// in falcosecurity/libs driver/event_table.c), each parameter's type, and the
// renderer that turns a raw value into the text Falco prints for evt.arg.X.
//
// RAW VALUES the tracer puts in SyscallEvent.args (keyed by param name):
//   fd, pid, int, uint, uid, gid, size, mode, sig     number (mode: raw st_mode/perm bits)
//   errno (res)                                       number: return value, negative errno on failure
//   flags (open, clone, unshare, mount, ...)          number: the RAW Linux value; rendered with the
//                                                     PPM flag names (O_WRONLY|O_CREAT...). Exception:
//                                                     execve/execveat `flags` is Falco's exe bitmask
//                                                     (1 EXE_WRITABLE, 2 EXE_UPPER_LAYER,
//                                                     4 EXE_FROM_MEMFD, 8 EXE_LOWER_LAYER)
//   enum (ptrace request, socket domain, fcntl cmd,   number: the raw Linux value
//         prctl option, setns nstype, bpf cmd)
//   fspath                                            string: path as passed by the program
//   fsrelpath                                         string: path as passed; `dirfd` names the param
//                                                     holding the directory fd (resolution is the
//                                                     state side's job: it fills event.fd.name)
//   sockaddr                                          string already rendered as Falco prints it:
//                                                     `1.2.3.4:80`, `/path` for unix
//   tuple                                             string already rendered: `1.2.3.4:3456->5.6.7.8:80`
//   bytes                                             Uint8Array (data buffers) or string
//   charbuf                                           string
//   charbufarray (args, env)                          string with entries joined by '\0' or ' '
// Missing params are simply absent (undefined), which the rules see as <NA>.

export type ParamType =
  | 'fd' | 'errno' | 'pid' | 'int' | 'uint' | 'uid' | 'gid' | 'mode' | 'sig'
  | 'flags' | 'enum' | 'fspath' | 'fsrelpath' | 'sockaddr' | 'tuple' | 'bytes'
  | 'charbuf' | 'charbufarray';

export interface ParamSchema {
  name: string;
  type: ParamType;
  /** flags/enum: the value-name table used to render the value. */
  table?: NameTable;
  /** fsrelpath: the name of the param holding the directory fd. */
  dirfd?: string;
}

export interface SyscallSchema {
  /** Falco event name (= syscall name). */
  name: string;
  params: ParamSchema[];
}

/** A value-name table: for flags, bit masks in Falco's printing order. */
export interface NameTable {
  kind: 'flags' | 'enum';
  entries: readonly (readonly [string, number])[];
}

// ---- Value-name tables (raw Linux values; names as Falco prints them) ----

const O = (n: number): number => parseInt(String(n), 8);
/** open(2) flags. Access mode is handled apart (it is a 2-bit field, not bits). */
export const OPEN_FLAGS: NameTable = {
  kind: 'flags',
  entries: [
    ['O_LARGEFILE', O(100000)], ['O_DIRECTORY', O(200000)], ['O_DIRECT', O(40000)],
    ['O_TRUNC', O(1000)], ['O_SYNC', O(4010000)], ['O_NONBLOCK', O(4000)], ['O_EXCL', O(200)],
    ['O_DSYNC', O(10000)], ['O_APPEND', O(2000)], ['O_CREAT', O(100)],
    ['O_CLOEXEC', O(2000000)], ['O_TMPFILE', O(20200000)], ['O_NOFOLLOW', O(400000)],
    ['O_NOATIME', O(1000000)], ['O_NOCTTY', O(400)], ['O_PATH', O(10000000)], ['O_ASYNC', O(20000)],
  ],
};

/** O_* flags of dup3, pipe2, userfaultfd (no access mode). */
export const FD_FLAGS: NameTable = {
  kind: 'flags',
  entries: [['O_CLOEXEC', O(2000000)], ['O_NONBLOCK', O(4000)], ['O_DIRECT', O(40000)]],
};

/** execve/execveat `flags`: facts about the executable (Falco's PPM_EXE_* bits, computed by the tracer). */
export const EXE_FLAGS: NameTable = {
  kind: 'flags',
  entries: [['EXE_WRITABLE', 1], ['EXE_UPPER_LAYER', 2], ['EXE_FROM_MEMFD', 4], ['EXE_LOWER_LAYER', 8]],
};

export const CLONE_FLAGS: NameTable = {
  kind: 'flags',
  entries: [
    ['CLONE_FILES', 0x400], ['CLONE_FS', 0x200], ['CLONE_IO', 0x80000000], ['CLONE_NEWIPC', 0x08000000],
    ['CLONE_NEWNET', 0x40000000], ['CLONE_NEWNS', 0x00020000], ['CLONE_NEWPID', 0x20000000],
    ['CLONE_NEWUTS', 0x04000000], ['CLONE_PARENT', 0x8000], ['CLONE_PARENT_SETTID', 0x00100000],
    ['CLONE_PTRACE', 0x2000], ['CLONE_SIGHAND', 0x800], ['CLONE_SYSVSEM', 0x40000],
    ['CLONE_THREAD', 0x10000], ['CLONE_UNTRACED', 0x00800000], ['CLONE_VM', 0x100],
    ['CLONE_NEWUSER', 0x10000000], ['CLONE_NEWCGROUP', 0x02000000], ['CLONE_VFORK', 0x4000],
    ['CLONE_CHILD_CLEARTID', 0x00200000], ['CLONE_CHILD_SETTID', 0x01000000], ['CLONE_SETTLS', 0x00080000],
  ],
};

export const PTRACE_REQUESTS: NameTable = {
  kind: 'enum',
  entries: [
    ['PTRACE_TRACEME', 0], ['PTRACE_PEEKTEXT', 1], ['PTRACE_PEEKDATA', 2], ['PTRACE_PEEKUSR', 3],
    ['PTRACE_POKETEXT', 4], ['PTRACE_POKEDATA', 5], ['PTRACE_POKEUSR', 6], ['PTRACE_CONT', 7],
    ['PTRACE_KILL', 8], ['PTRACE_SINGLESTEP', 9], ['PTRACE_GETREGS', 12], ['PTRACE_SETREGS', 13],
    ['PTRACE_GETFPREGS', 14], ['PTRACE_SETFPREGS', 15], ['PTRACE_ATTACH', 16], ['PTRACE_DETACH', 17],
    ['PTRACE_GETFPXREGS', 18], ['PTRACE_SETFPXREGS', 19], ['PTRACE_SYSCALL', 24],
    ['PTRACE_SETOPTIONS', 0x4200], ['PTRACE_GETEVENTMSG', 0x4201], ['PTRACE_GETSIGINFO', 0x4202],
    ['PTRACE_SETSIGINFO', 0x4203], ['PTRACE_GETREGSET', 0x4204], ['PTRACE_SETREGSET', 0x4205],
    ['PTRACE_SEIZE', 0x4206], ['PTRACE_INTERRUPT', 0x4207], ['PTRACE_LISTEN', 0x4208],
    ['PTRACE_PEEKSIGINFO', 0x4209], ['PTRACE_GETSIGMASK', 0x420a], ['PTRACE_SETSIGMASK', 0x420b],
  ],
};

export const SOCKET_FAMILIES: NameTable = {
  kind: 'enum',
  entries: [
    ['AF_UNSPEC', 0], ['AF_UNIX', 1], ['AF_INET', 2], ['AF_AX25', 3], ['AF_IPX', 4], ['AF_APPLETALK', 5],
    ['AF_NETROM', 6], ['AF_BRIDGE', 7], ['AF_ATMPVC', 8], ['AF_X25', 9], ['AF_INET6', 10], ['AF_ROSE', 11],
    ['AF_DECnet', 12], ['AF_NETBEUI', 13], ['AF_SECURITY', 14], ['AF_KEY', 15], ['AF_NETLINK', 16],
    ['AF_PACKET', 17], ['AF_ASH', 18], ['AF_ECONET', 19], ['AF_ATMSVC', 20], ['AF_RDS', 21], ['AF_SNA', 22],
    ['AF_IRDA', 23], ['AF_PPPOX', 24], ['AF_WANPIPE', 25], ['AF_LLC', 26], ['AF_CAN', 29], ['AF_TIPC', 30],
    ['AF_BLUETOOTH', 31], ['AF_IUCV', 32], ['AF_RXRPC', 33], ['AF_ISDN', 34], ['AF_PHONET', 35],
    ['AF_IEEE802154', 36], ['AF_CAIF', 37], ['AF_ALG', 38], ['AF_NFC', 39], ['AF_VSOCK', 40],
  ],
};

export const FCNTL_CMDS: NameTable = {
  kind: 'enum',
  entries: [
    ['F_DUPFD', 0], ['F_GETFD', 1], ['F_SETFD', 2], ['F_GETFL', 3], ['F_SETFL', 4], ['F_GETLK', 5],
    ['F_SETLK', 6], ['F_SETLKW', 7], ['F_SETOWN', 8], ['F_GETOWN', 9], ['F_SETSIG', 10], ['F_GETSIG', 11],
    ['F_SETLEASE', 1024], ['F_GETLEASE', 1025], ['F_NOTIFY', 1026], ['F_DUPFD_CLOEXEC', 1030],
    ['F_SETPIPE_SZ', 1031], ['F_GETPIPE_SZ', 1032],
  ],
};

export const NS_TYPES: NameTable = {
  kind: 'flags',
  entries: [
    ['CLONE_NEWCGROUP', 0x02000000], ['CLONE_NEWIPC', 0x08000000], ['CLONE_NEWNET', 0x40000000],
    ['CLONE_NEWNS', 0x00020000], ['CLONE_NEWPID', 0x20000000], ['CLONE_NEWUSER', 0x10000000],
    ['CLONE_NEWUTS', 0x04000000], ['CLONE_NEWTIME', 0x80],
  ],
};

export const MOUNT_FLAGS: NameTable = {
  kind: 'flags',
  entries: [
    ['RDONLY', 1], ['NOSUID', 2], ['NODEV', 4], ['NOEXEC', 8], ['SYNCHRONOUS', 16], ['REMOUNT', 32],
    ['MANDLOCK', 64], ['DIRSYNC', 128], ['NOATIME', 1024], ['NODIRATIME', 2048], ['BIND', 4096],
    ['MOVE', 8192], ['REC', 16384], ['SILENT', 32768], ['POSIXACL', 1 << 16], ['UNBINDABLE', 1 << 17],
    ['PRIVATE', 1 << 18], ['SLAVE', 1 << 19], ['SHARED', 1 << 20], ['RELATIME', 1 << 21],
    ['KERNMOUNT', 1 << 22], ['I_VERSION', 1 << 23], ['STRICTATIME', 1 << 24], ['LAZYTIME', 1 << 25],
  ],
};

export const PRCTL_OPTIONS: NameTable = {
  kind: 'enum',
  entries: [
    ['PR_SET_PDEATHSIG', 1], ['PR_GET_PDEATHSIG', 2], ['PR_GET_DUMPABLE', 3], ['PR_SET_DUMPABLE', 4],
    ['PR_SET_KEEPCAPS', 8], ['PR_SET_NAME', 15], ['PR_GET_NAME', 16], ['PR_GET_SECCOMP', 21],
    ['PR_SET_SECCOMP', 22], ['PR_CAPBSET_READ', 23], ['PR_CAPBSET_DROP', 24],
    ['PR_SET_CHILD_SUBREAPER', 36], ['PR_GET_CHILD_SUBREAPER', 37], ['PR_SET_NO_NEW_PRIVS', 38],
    ['PR_GET_NO_NEW_PRIVS', 39],
  ],
};

export const BPF_CMDS: NameTable = {
  kind: 'enum',
  entries: [
    ['BPF_MAP_CREATE', 0], ['BPF_MAP_LOOKUP_ELEM', 1], ['BPF_MAP_UPDATE_ELEM', 2], ['BPF_MAP_DELETE_ELEM', 3],
    ['BPF_MAP_GET_NEXT_KEY', 4], ['BPF_PROG_LOAD', 5], ['BPF_OBJ_PIN', 6], ['BPF_OBJ_GET', 7],
    ['BPF_PROG_ATTACH', 8], ['BPF_PROG_DETACH', 9], ['BPF_PROG_TEST_RUN', 10],
  ],
};

export const AT_FLAGS: NameTable = {
  kind: 'flags',
  entries: [['AT_SYMLINK_FOLLOW', 0x400], ['AT_EMPTY_PATH', 0x1000], ['AT_REMOVEDIR', 0x200], ['AT_SYMLINK_NOFOLLOW', 0x100]],
};

export const MEMFD_FLAGS: NameTable = {
  kind: 'flags',
  entries: [['MFD_CLOEXEC', 1], ['MFD_ALLOW_SEALING', 2], ['MFD_HUGETLB', 4]],
};

/** delete_module(2) flags. */
export const DELETE_MODULE_FLAGS: NameTable = {
  kind: 'flags',
  entries: [['O_NONBLOCK', O(4000)], ['O_TRUNC', O(1000)]],
};

export const SOCKET_TYPES: NameTable = {
  kind: 'enum',
  entries: [['SOCK_STREAM', 1], ['SOCK_DGRAM', 2], ['SOCK_RAW', 3], ['SOCK_RDM', 4], ['SOCK_SEQPACKET', 5], ['SOCK_PACKET', 10]],
};

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

const p = (name: string, type: ParamType, extra: Partial<ParamSchema> = {}): ParamSchema => ({ name, type, ...extra });
const res = p('res', 'errno');
const fdRes = p('fd', 'fd');
const openFlags = p('flags', 'flags', { table: OPEN_FLAGS });
const processParams: ParamSchema[] = [
  p('exe', 'charbuf'), p('args', 'charbufarray'), p('tid', 'pid'), p('pid', 'pid'), p('ptid', 'pid'),
  p('cwd', 'charbuf'), p('fdlimit', 'int'), p('pgft_maj', 'uint'), p('pgft_min', 'uint'), p('vm_size', 'uint'),
  p('vm_rss', 'uint'), p('vm_swap', 'uint'), p('comm', 'charbuf'), p('cgroups', 'charbufarray'),
];

const TABLE: SyscallSchema[] = [
  // files
  { name: 'open', params: [fdRes, p('name', 'fspath'), openFlags, p('mode', 'mode'), p('dev', 'uint'), p('ino', 'uint')] },
  { name: 'openat', params: [fdRes, p('dirfd', 'fd'), p('name', 'fsrelpath', { dirfd: 'dirfd' }), openFlags, p('mode', 'mode'), p('dev', 'uint'), p('ino', 'uint')] },
  { name: 'openat2', params: [fdRes, p('dirfd', 'fd'), p('name', 'fsrelpath', { dirfd: 'dirfd' }), openFlags, p('mode', 'mode'), p('resolve', 'uint'), p('dev', 'uint'), p('ino', 'uint')] },
  { name: 'creat', params: [fdRes, p('name', 'fspath'), p('mode', 'mode'), p('dev', 'uint'), p('ino', 'uint')] },
  { name: 'close', params: [res, p('fd', 'fd')] },
  { name: 'dup', params: [res, p('oldfd', 'fd')] },
  { name: 'dup2', params: [res, p('oldfd', 'fd'), p('newfd', 'fd')] },
  { name: 'dup3', params: [res, p('oldfd', 'fd'), p('newfd', 'fd'), p('flags', 'flags', { table: FD_FLAGS })] },
  { name: 'fcntl', params: [res, p('fd', 'fd'), p('cmd', 'enum', { table: FCNTL_CMDS })] },
  { name: 'chdir', params: [res, p('path', 'fspath')] },
  { name: 'fchdir', params: [res, p('fd', 'fd')] },
  { name: 'mkdir', params: [res, p('path', 'fspath'), p('mode', 'mode')] },
  { name: 'mkdirat', params: [res, p('dirfd', 'fd'), p('path', 'fsrelpath', { dirfd: 'dirfd' }), p('mode', 'mode')] },
  { name: 'rmdir', params: [res, p('path', 'fspath')] },
  { name: 'unlink', params: [res, p('path', 'fspath')] },
  { name: 'unlinkat', params: [res, p('dirfd', 'fd'), p('name', 'fsrelpath', { dirfd: 'dirfd' }), p('flags', 'flags', { table: AT_FLAGS })] },
  { name: 'rename', params: [res, p('oldpath', 'fspath'), p('newpath', 'fspath')] },
  { name: 'renameat', params: [res, p('olddirfd', 'fd'), p('oldpath', 'fsrelpath', { dirfd: 'olddirfd' }), p('newdirfd', 'fd'), p('newpath', 'fsrelpath', { dirfd: 'newdirfd' })] },
  { name: 'renameat2', params: [res, p('olddirfd', 'fd'), p('oldpath', 'fsrelpath', { dirfd: 'olddirfd' }), p('newdirfd', 'fd'), p('newpath', 'fsrelpath', { dirfd: 'newdirfd' }), p('flags', 'uint')] },
  { name: 'chmod', params: [res, p('filename', 'fspath'), p('mode', 'mode')] },
  { name: 'fchmod', params: [res, p('fd', 'fd'), p('mode', 'mode')] },
  { name: 'fchmodat', params: [res, p('dirfd', 'fd'), p('filename', 'fsrelpath', { dirfd: 'dirfd' }), p('mode', 'mode')] },
  { name: 'symlink', params: [res, p('target', 'charbuf'), p('linkpath', 'fspath')] },
  { name: 'symlinkat', params: [res, p('target', 'charbuf'), p('linkdirfd', 'fd'), p('linkpath', 'fsrelpath', { dirfd: 'linkdirfd' })] },
  { name: 'link', params: [res, p('oldpath', 'fspath'), p('newpath', 'fspath')] },
  { name: 'linkat', params: [res, p('olddir', 'fd'), p('oldpath', 'fsrelpath', { dirfd: 'olddir' }), p('newdir', 'fd'), p('newpath', 'fsrelpath', { dirfd: 'newdir' }), p('flags', 'flags', { table: AT_FLAGS })] },
  { name: 'mount', params: [res, p('dev', 'charbuf'), p('dir', 'fspath'), p('type', 'charbuf'), p('flags', 'flags', { table: MOUNT_FLAGS })] },
  { name: 'umount2', params: [res, p('name', 'fspath'), p('flags', 'uint')] },
  { name: 'memfd_create', params: [fdRes, p('name', 'charbuf'), p('flags', 'flags', { table: MEMFD_FLAGS })] },
  { name: 'pipe', params: [res, p('fd1', 'fd'), p('fd2', 'fd'), p('ino', 'uint')] },
  { name: 'pipe2', params: [res, p('fd1', 'fd'), p('fd2', 'fd'), p('ino', 'uint'), p('flags', 'flags', { table: FD_FLAGS })] },
  // processes
  { name: 'execve', params: [res, ...processParams, p('env', 'charbufarray'), p('tty', 'int'), p('vpgid', 'pid'), p('loginuid', 'uid'), p('flags', 'flags', { table: EXE_FLAGS }), p('cap_inheritable', 'uint'), p('cap_permitted', 'uint'), p('cap_effective', 'uint'), p('exe_ino', 'uint'), p('exe_ino_ctime', 'uint'), p('exe_ino_mtime', 'uint'), p('uid', 'uid'), p('trusted_exepath', 'fspath'), p('pgid', 'pid'), p('gid', 'gid'), p('filename', 'fspath')] },
  { name: 'execveat', params: [res, ...processParams, p('env', 'charbufarray'), p('tty', 'int'), p('vpgid', 'pid'), p('loginuid', 'uid'), p('flags', 'flags', { table: EXE_FLAGS }), p('cap_inheritable', 'uint'), p('cap_permitted', 'uint'), p('cap_effective', 'uint'), p('exe_ino', 'uint'), p('exe_ino_ctime', 'uint'), p('exe_ino_mtime', 'uint'), p('uid', 'uid'), p('trusted_exepath', 'fspath'), p('pgid', 'pid'), p('gid', 'gid'), p('dirfd', 'fd'), p('pathname', 'fsrelpath', { dirfd: 'dirfd' })] },
  { name: 'clone', params: [res, ...processParams, p('flags', 'flags', { table: CLONE_FLAGS }), p('uid', 'uid'), p('gid', 'gid'), p('vtid', 'pid'), p('vpid', 'pid'), p('pidns_init_start_ts', 'uint')] },
  { name: 'clone3', params: [res, ...processParams, p('flags', 'flags', { table: CLONE_FLAGS }), p('uid', 'uid'), p('gid', 'gid'), p('vtid', 'pid'), p('vpid', 'pid'), p('pidns_init_start_ts', 'uint')] },
  { name: 'fork', params: [res, ...processParams, p('flags', 'flags', { table: CLONE_FLAGS }), p('uid', 'uid'), p('gid', 'gid'), p('vtid', 'pid'), p('vpid', 'pid'), p('pidns_init_start_ts', 'uint')] },
  { name: 'vfork', params: [res, ...processParams, p('flags', 'flags', { table: CLONE_FLAGS }), p('uid', 'uid'), p('gid', 'gid'), p('vtid', 'pid'), p('vpid', 'pid'), p('pidns_init_start_ts', 'uint')] },
  { name: 'procexit', params: [p('status', 'int'), p('ret', 'int'), p('sig', 'sig'), p('core', 'uint')] },
  { name: 'kill', params: [res, p('pid', 'pid'), p('sig', 'sig')] },
  { name: 'tgkill', params: [res, p('pid', 'pid'), p('tid', 'pid'), p('sig', 'sig')] },
  { name: 'ptrace', params: [res, p('addr', 'uint'), p('data', 'uint'), p('request', 'enum', { table: PTRACE_REQUESTS }), p('pid', 'pid')] },
  { name: 'prctl', params: [res, p('option', 'enum', { table: PRCTL_OPTIONS }), p('arg2_str', 'charbuf'), p('arg2_int', 'int')] },
  { name: 'setns', params: [res, p('fd', 'fd'), p('nstype', 'flags', { table: NS_TYPES })] },
  { name: 'unshare', params: [res, p('flags', 'flags', { table: NS_TYPES })] },
  { name: 'setuid', params: [res, p('uid', 'uid')] },
  { name: 'setgid', params: [res, p('gid', 'gid')] },
  { name: 'setreuid', params: [res, p('ruid', 'uid'), p('euid', 'uid')] },
  { name: 'setregid', params: [res, p('rgid', 'gid'), p('egid', 'gid')] },
  { name: 'setresuid', params: [res, p('ruid', 'uid'), p('euid', 'uid'), p('suid', 'uid')] },
  { name: 'setresgid', params: [res, p('rgid', 'gid'), p('egid', 'gid'), p('sgid', 'gid')] },
  // Falco has no event of its own for setfsuid/setfsgid (a generic syscall
  // event): the agent decodes the id it sets.
  { name: 'setfsuid', params: [res, p('uid', 'uid')] },
  { name: 'setfsgid', params: [res, p('gid', 'gid')] },
  { name: 'capset', params: [res, p('cap_inheritable', 'uint'), p('cap_permitted', 'uint'), p('cap_effective', 'uint')] },
  { name: 'init_module', params: [res, p('img', 'bytes'), p('length', 'uint'), p('uargs', 'charbuf')] },
  { name: 'finit_module', params: [res, p('fd', 'fd'), p('uargs', 'charbuf'), p('flags', 'uint')] },
  { name: 'delete_module', params: [res, p('name', 'charbuf'), p('flags', 'flags', { table: DELETE_MODULE_FLAGS })] },
  { name: 'bpf', params: [p('fd', 'fd'), p('cmd', 'enum', { table: BPF_CMDS })] },
  { name: 'userfaultfd', params: [res, p('flags', 'flags', { table: FD_FLAGS })] },
  // network
  { name: 'socket', params: [fdRes, p('domain', 'enum', { table: SOCKET_FAMILIES }), p('type', 'enum', { table: SOCKET_TYPES }), p('proto', 'int')] },
  { name: 'socketpair', params: [res, p('fd1', 'fd'), p('fd2', 'fd'), p('source', 'uint'), p('peer', 'uint'), p('domain', 'enum', { table: SOCKET_FAMILIES }), p('type', 'enum', { table: SOCKET_TYPES }), p('proto', 'int')] },
  { name: 'connect', params: [res, p('tuple', 'tuple'), p('fd', 'fd'), p('addr', 'sockaddr')] },
  { name: 'bind', params: [res, p('addr', 'sockaddr'), p('fd', 'fd')] },
  { name: 'listen', params: [res, p('fd', 'fd'), p('backlog', 'int')] },
  { name: 'accept', params: [fdRes, p('tuple', 'tuple'), p('queuepct', 'uint'), p('queuelen', 'uint'), p('queuemax', 'uint')] },
  { name: 'accept4', params: [fdRes, p('tuple', 'tuple'), p('queuepct', 'uint'), p('queuelen', 'uint'), p('queuemax', 'uint'), p('flags', 'int')] },
  { name: 'sendto', params: [res, p('data', 'bytes'), p('fd', 'fd'), p('size', 'uint'), p('tuple', 'tuple')] },
  { name: 'sendmsg', params: [res, p('data', 'bytes'), p('fd', 'fd'), p('size', 'uint'), p('tuple', 'tuple')] },
  { name: 'recvfrom', params: [res, p('data', 'bytes'), p('tuple', 'tuple'), p('fd', 'fd'), p('size', 'uint')] },
  { name: 'recvmsg', params: [res, p('size', 'uint'), p('data', 'bytes'), p('tuple', 'tuple'), p('msgcontrol', 'bytes'), p('fd', 'fd')] },
];

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
 * Every Falco syscall event name (the set `evt.type` can take in rules).
 * Names outside the agent's table are still valid event names for Falco.
 */
export const FALCO_SYSCALL_NAMES: readonly string[] = [
  ...TABLE.map((s) => s.name),
  'read', 'write', 'readv', 'writev', 'pread', 'pwrite', 'preadv', 'pwritev', 'lseek', 'llseek', 'stat', 'lstat', 'fstat',
  'stat64', 'lstat64', 'fstat64', 'access', 'faccessat', 'faccessat2', 'newfstatat', 'statx', 'getdents', 'getdents64', 'ioctl',
  'mmap', 'mmap2', 'munmap', 'mprotect', 'brk', 'poll', 'ppoll', 'select', 'pselect6', 'epoll_wait', 'epoll_pwait', 'epoll_create',
  'epoll_create1', 'eventfd', 'eventfd2', 'signalfd', 'signalfd4', 'timerfd_create', 'inotify_init', 'inotify_init1',
  'shutdown', 'getsockopt', 'setsockopt', 'getsockname', 'getpeername', 'sendmmsg', 'recvmmsg', 'nanosleep', 'futex',
  'getcwd', 'chown', 'lchown', 'fchown', 'fchownat', 'truncate', 'ftruncate', 'flock', 'fsync', 'fdatasync', 'sync',
  'tkill', 'exit', 'exit_group', 'getrlimit', 'setrlimit', 'prlimit', 'getuid', 'geteuid', 'getgid',
  'getegid', 'getresuid', 'getresgid', 'setpgid', 'setsid', 'seccomp', 'splice', 'sendfile', 'chroot', 'pivot_root',
  'umount', 'quotactl', 'semop', 'semget', 'semctl', 'mlock', 'munlock', 'mlockall', 'munlockall', 'signaldeliver',
  'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'copy_file_range', 'open_by_handle_at', 'mprotect',
  'fsconfig', 'epoll_ctl', 'pidfd_open', 'pidfd_getfd', 'process_vm_readv', 'process_vm_writev',
  'container', 'switch', 'procinfo', 'notification', 'infra', 'pluginevent', 'asyncevent',
];
