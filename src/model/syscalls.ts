// The syscalls the agent decodes: one row each, the one place in TypeScript
// that says what a syscall is to the agent. A row gives
//   - the Falco event: its name (= the syscall's) and the parameters of the
//     merged exit event (entry arguments + result, as Falco >= 0.42 presents
//     them, named as in falcosecurity/libs driver/event_table.c), each with
//     its type and, for flags and enums, the value-name table it renders with;
//   - the registers, in order: how the tracer captures each at the stop
//     (native/syscalls.cc ArgKind, by name) and which parameter it fills;
//   - its roles for the tracer's plan, the state and the rules.
// Everything else is derived from the rows: the decoding of the registers
// (src/events/decode.ts), the event schemas, evt.type's names, the seccomp
// set's state syscalls, the open pre-filter's event types. The numbers live
// only in native/syscalls.cc, and test/model/syscalls.test.ts checks the
// rows against it (through the addon's syscalls()).
import {
  AT_FLAGS, BPF_CMDS, CLONE_FLAGS, DELETE_MODULE_FLAGS, EXE_FLAGS, FCNTL_CMDS, FD_FLAGS, MEMFD_FLAGS, MOUNT_FLAGS, NS_TYPES,
  OPEN_FLAGS, PRCTL_OPTIONS, PTRACE_REQUESTS, SOCKET_FAMILIES, SOCKET_TYPES, type NameTable,
} from './flags.js';

// RAW VALUES the decoder puts in SyscallEvent.args (keyed by param name):
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
//   fsrelpath                                         string: `dirfd` names the param holding the
//                                                     directory fd. An open's is the path as passed
//                                                     (its fd.name is the path resolved); the other
//                                                     *at calls' is resolved against that directory
//                                                     or the cwd (src/state/builder.ts REL_PATHS, from these links)
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

/** A Falco event's parameters. */
export interface SyscallSchema {
  /** Falco event name (= syscall name). */
  name: string;
  params: readonly ParamSchema[];
}

/**
 * How the tracer captures a register at the syscall's stop: native/syscalls.h
 * ArgKind by name (the addon's syscalls() names them so).
 *   none          the register's value is enough (a scalar)
 *   path          a NUL-terminated string behind the pointer: a path, or another
 *                 string (mount's type, memfd_create's name) (item Arg0 + i)
 *   dirfd         a directory fd for a path: its path from /proc when not AT_FDCWD (item Dir0 + i)
 *   fd            the fd the event is about: the kernel's facts about it (item Fd0 + i)
 *   sockaddr      a struct sockaddr, its length in the next register (item Arg0 + i)
 *   sockaddr_out  a struct sockaddr the kernel writes (item Out0 + i)
 *   msghdr        a struct msghdr's msg_name sockaddr (item Arg0 + i)
 *   msghdr_out    the same, written by the kernel (item Out0 + i)
 *   fdpair_out    an int[2] the kernel writes: pipe, socketpair (item Out0 + i)
 *   open_how      openat2's struct open_how (item Arg0 + i)
 *   clone_args    clone3's struct clone_args
 */
export type ArgCapture =
  | 'none' | 'path' | 'dirfd' | 'fd' | 'sockaddr' | 'sockaddr_out' | 'msghdr' | 'msghdr_out'
  | 'fdpair_out' | 'open_how' | 'clone_args';

export interface Register {
  capture: ArgCapture;
  /** The Falco parameter the register's value (its string, for `path`) fills, if any. */
  param?: string;
}

/** What a syscall is to the tracer's plan, the state and the rules (each false when absent). */
export interface SyscallRoles {
  /**
   * The state needs it whatever the rules: credentials change here and
   * nothing else tells the tracer when (reading /proc/PID/status at every
   * event would cost each event ~10 us; these calls are rare).
   */
  state?: true;
  /** Its record carries the credentials after the call (native SF_CREDS); the builder applies them. */
  creds?: true;
  /** Nothing needs its exit value: one stop instead of two. */
  entryOnly?: true;
  /** Creates an fd from a path it names (native SF_OPEN: the open pre-filter may skip it, unless its flags are behind a pointer). */
  open?: true;
  /** Changes the fd table: it stops when the table must be exact (a rule reads fd.types or proc.fdopencount). */
  fdTable?: true;
  /** Changes the cwd. */
  cwd?: true;
  /** Replaces the process image: its exec record carries the new image, argv, cwd and credentials. */
  exec?: true;
  /** Creates a task: the tracer's clone record makes the state's process, not the syscall's. */
  clone?: true;
  /**
   * Not a syscall the agent stops on, whatever the rules or --syscalls-extra
   * say: the tracer knows it for its own tests (test/fixtures/trace-run.ts
   * stops on every syscall it knows), and the benchmarks time it as the
   * syscall no rule and no state needs (bench getppid_loop). Not in evt.type's names.
   */
  testOnly?: true;
}

export interface SyscallRow extends SyscallSchema, SyscallRoles {
  /** Registers in order (the rest capture nothing). */
  regs: readonly Register[];
}

// ---- Parameters ----

const p = (name: string, type: ParamType, extra: Partial<ParamSchema> = {}): ParamSchema => ({ name, type, ...extra });
const res = p('res', 'errno');
const fdRes = p('fd', 'fd');
const openFlags = p('flags', 'flags', { table: OPEN_FLAGS });
const processParams: ParamSchema[] = [
  p('exe', 'charbuf'), p('args', 'charbufarray'), p('tid', 'pid'), p('pid', 'pid'), p('ptid', 'pid'),
  p('cwd', 'charbuf'), p('fdlimit', 'int'), p('pgft_maj', 'uint'), p('pgft_min', 'uint'), p('vm_size', 'uint'),
  p('vm_rss', 'uint'), p('vm_swap', 'uint'), p('comm', 'charbuf'), p('cgroups', 'charbufarray'),
];
const execParams: ParamSchema[] = [
  res, ...processParams, p('env', 'charbufarray'), p('tty', 'int'), p('vpgid', 'pid'), p('loginuid', 'uid'),
  p('flags', 'flags', { table: EXE_FLAGS }), p('cap_inheritable', 'uint'), p('cap_permitted', 'uint'), p('cap_effective', 'uint'),
  p('exe_ino', 'uint'), p('exe_ino_ctime', 'uint'), p('exe_ino_mtime', 'uint'), p('uid', 'uid'), p('trusted_exepath', 'fspath'),
  p('pgid', 'pid'), p('gid', 'gid'),
];
const cloneParams: ParamSchema[] = [
  res, ...processParams, p('flags', 'flags', { table: CLONE_FLAGS }), p('uid', 'uid'), p('gid', 'gid'), p('vtid', 'pid'),
  p('vpid', 'pid'), p('pidns_init_start_ts', 'uint'),
];

// ---- Registers (as native/syscalls.cc's N, P, D, F) ----

/** Not a parameter. */
const __: Register = { capture: 'none' };
/** A scalar parameter. */
const val = (param: string): Register => ({ capture: 'none', param });
/** A string parameter behind the pointer. */
const str = (param: string): Register => ({ capture: 'path', param });
const dirfd = (param: string): Register => ({ capture: 'dirfd', param });
/** The fd the event is about. */
const fd = (param: string): Register => ({ capture: 'fd', param });
/** A struct the tracer reads; the decoder makes parameters of it. */
const struct = (capture: 'sockaddr' | 'sockaddr_out' | 'msghdr' | 'msghdr_out' | 'fdpair_out' | 'open_how' | 'clone_args'): Register => ({ capture });

// ---- The table ----

const ROWS: SyscallRow[] = [
  // files
  { name: 'open', params: [fdRes, p('name', 'fspath'), openFlags, p('mode', 'mode'), p('dev', 'uint'), p('ino', 'uint')], regs: [str('name'), val('flags'), val('mode')], open: true, fdTable: true },
  { name: 'openat', params: [fdRes, p('dirfd', 'fd'), p('name', 'fsrelpath', { dirfd: 'dirfd' }), openFlags, p('mode', 'mode'), p('dev', 'uint'), p('ino', 'uint')], regs: [dirfd('dirfd'), str('name'), val('flags'), val('mode')], open: true, fdTable: true },
  { name: 'openat2', params: [fdRes, p('dirfd', 'fd'), p('name', 'fsrelpath', { dirfd: 'dirfd' }), openFlags, p('mode', 'mode'), p('resolve', 'uint'), p('dev', 'uint'), p('ino', 'uint')], regs: [dirfd('dirfd'), str('name'), struct('open_how')], open: true, fdTable: true },
  { name: 'creat', params: [fdRes, p('name', 'fspath'), p('mode', 'mode'), p('dev', 'uint'), p('ino', 'uint')], regs: [str('name'), val('mode')], open: true, fdTable: true },
  { name: 'close', params: [res, p('fd', 'fd')], regs: [fd('fd')], entryOnly: true, fdTable: true },
  { name: 'dup', params: [res, p('oldfd', 'fd')], regs: [fd('oldfd')], fdTable: true },
  { name: 'dup2', params: [res, p('oldfd', 'fd'), p('newfd', 'fd')], regs: [fd('oldfd'), val('newfd')], fdTable: true },
  { name: 'dup3', params: [res, p('oldfd', 'fd'), p('newfd', 'fd'), p('flags', 'flags', { table: FD_FLAGS })], regs: [fd('oldfd'), val('newfd'), val('flags')], fdTable: true },
  { name: 'fcntl', params: [res, p('fd', 'fd'), p('cmd', 'enum', { table: FCNTL_CMDS })], regs: [fd('fd'), val('cmd')], fdTable: true },
  { name: 'pipe', params: [res, p('fd1', 'fd'), p('fd2', 'fd'), p('ino', 'uint')], regs: [struct('fdpair_out')], fdTable: true },
  { name: 'pipe2', params: [res, p('fd1', 'fd'), p('fd2', 'fd'), p('ino', 'uint'), p('flags', 'flags', { table: FD_FLAGS })], regs: [struct('fdpair_out'), val('flags')], fdTable: true },
  { name: 'memfd_create', params: [fdRes, p('name', 'charbuf'), p('flags', 'flags', { table: MEMFD_FLAGS })], regs: [str('name'), val('flags')], fdTable: true },
  { name: 'chdir', params: [res, p('path', 'fspath')], regs: [str('path')], cwd: true },
  { name: 'fchdir', params: [res, p('fd', 'fd')], regs: [fd('fd')], cwd: true },
  { name: 'mkdir', params: [res, p('path', 'fspath'), p('mode', 'mode')], regs: [str('path'), val('mode')] },
  { name: 'mkdirat', params: [res, p('dirfd', 'fd'), p('path', 'fsrelpath', { dirfd: 'dirfd' }), p('mode', 'mode')], regs: [dirfd('dirfd'), str('path'), val('mode')] },
  { name: 'rmdir', params: [res, p('path', 'fspath')], regs: [str('path')] },
  { name: 'unlink', params: [res, p('path', 'fspath')], regs: [str('path')] },
  { name: 'unlinkat', params: [res, p('dirfd', 'fd'), p('name', 'fsrelpath', { dirfd: 'dirfd' }), p('flags', 'flags', { table: AT_FLAGS })], regs: [dirfd('dirfd'), str('name'), val('flags')] },
  { name: 'rename', params: [res, p('oldpath', 'fspath'), p('newpath', 'fspath')], regs: [str('oldpath'), str('newpath')] },
  { name: 'renameat', params: [res, p('olddirfd', 'fd'), p('oldpath', 'fsrelpath', { dirfd: 'olddirfd' }), p('newdirfd', 'fd'), p('newpath', 'fsrelpath', { dirfd: 'newdirfd' })], regs: [dirfd('olddirfd'), str('oldpath'), dirfd('newdirfd'), str('newpath')] },
  { name: 'renameat2', params: [res, p('olddirfd', 'fd'), p('oldpath', 'fsrelpath', { dirfd: 'olddirfd' }), p('newdirfd', 'fd'), p('newpath', 'fsrelpath', { dirfd: 'newdirfd' }), p('flags', 'uint')], regs: [dirfd('olddirfd'), str('oldpath'), dirfd('newdirfd'), str('newpath'), val('flags')] },
  { name: 'symlink', params: [res, p('target', 'charbuf'), p('linkpath', 'fspath')], regs: [str('target'), str('linkpath')] },
  { name: 'symlinkat', params: [res, p('target', 'charbuf'), p('linkdirfd', 'fd'), p('linkpath', 'fsrelpath', { dirfd: 'linkdirfd' })], regs: [str('target'), dirfd('linkdirfd'), str('linkpath')] },
  { name: 'link', params: [res, p('oldpath', 'fspath'), p('newpath', 'fspath')], regs: [str('oldpath'), str('newpath')] },
  { name: 'linkat', params: [res, p('olddir', 'fd'), p('oldpath', 'fsrelpath', { dirfd: 'olddir' }), p('newdir', 'fd'), p('newpath', 'fsrelpath', { dirfd: 'newdir' }), p('flags', 'flags', { table: AT_FLAGS })], regs: [dirfd('olddir'), str('oldpath'), dirfd('newdir'), str('newpath'), val('flags')] },
  { name: 'chmod', params: [res, p('filename', 'fspath'), p('mode', 'mode')], regs: [str('filename'), val('mode')] },
  { name: 'fchmod', params: [res, p('fd', 'fd'), p('mode', 'mode')], regs: [fd('fd'), val('mode')] },
  { name: 'fchmodat', params: [res, p('dirfd', 'fd'), p('filename', 'fsrelpath', { dirfd: 'dirfd' }), p('mode', 'mode')], regs: [dirfd('dirfd'), str('filename'), val('mode')] },
  { name: 'mount', params: [res, p('dev', 'charbuf'), p('dir', 'fspath'), p('type', 'charbuf'), p('flags', 'flags', { table: MOUNT_FLAGS })], regs: [str('dev'), str('dir'), str('type'), val('flags')] },
  { name: 'umount2', params: [res, p('name', 'fspath'), p('flags', 'uint')], regs: [str('name'), val('flags')] },
  // network
  { name: 'socket', params: [fdRes, p('domain', 'enum', { table: SOCKET_FAMILIES }), p('type', 'enum', { table: SOCKET_TYPES }), p('proto', 'int')], regs: [val('domain'), val('type'), val('proto')], fdTable: true },
  { name: 'socketpair', params: [res, p('fd1', 'fd'), p('fd2', 'fd'), p('source', 'uint'), p('peer', 'uint'), p('domain', 'enum', { table: SOCKET_FAMILIES }), p('type', 'enum', { table: SOCKET_TYPES }), p('proto', 'int')], regs: [val('domain'), val('type'), val('proto'), struct('fdpair_out')], fdTable: true },
  { name: 'connect', params: [res, p('tuple', 'tuple'), p('fd', 'fd'), p('addr', 'sockaddr')], regs: [fd('fd'), struct('sockaddr')], fdTable: true },
  { name: 'bind', params: [res, p('addr', 'sockaddr'), p('fd', 'fd')], regs: [fd('fd'), struct('sockaddr')], fdTable: true },
  { name: 'listen', params: [res, p('fd', 'fd'), p('backlog', 'int')], regs: [fd('fd'), val('backlog')] },
  { name: 'accept', params: [fdRes, p('tuple', 'tuple'), p('queuepct', 'uint'), p('queuelen', 'uint'), p('queuemax', 'uint')], regs: [fd('fd'), struct('sockaddr_out')], fdTable: true },
  { name: 'accept4', params: [fdRes, p('tuple', 'tuple'), p('queuepct', 'uint'), p('queuelen', 'uint'), p('queuemax', 'uint'), p('flags', 'int')], regs: [fd('fd'), struct('sockaddr_out'), __, val('flags')], fdTable: true },
  { name: 'sendto', params: [res, p('data', 'bytes'), p('fd', 'fd'), p('size', 'uint'), p('tuple', 'tuple')], regs: [fd('fd'), __, val('size'), __, struct('sockaddr')] },
  { name: 'sendmsg', params: [res, p('data', 'bytes'), p('fd', 'fd'), p('size', 'uint'), p('tuple', 'tuple')], regs: [fd('fd'), struct('msghdr')] },
  { name: 'recvfrom', params: [res, p('data', 'bytes'), p('tuple', 'tuple'), p('fd', 'fd'), p('size', 'uint')], regs: [fd('fd'), __, val('size'), __, struct('sockaddr_out')] },
  { name: 'recvmsg', params: [res, p('size', 'uint'), p('data', 'bytes'), p('tuple', 'tuple'), p('msgcontrol', 'bytes'), p('fd', 'fd')], regs: [fd('fd'), struct('msghdr_out')] },
  // processes
  { name: 'execve', params: [...execParams, p('filename', 'fspath')], regs: [str('filename')], exec: true },
  { name: 'execveat', params: [...execParams, p('dirfd', 'fd'), p('pathname', 'fsrelpath', { dirfd: 'dirfd' })], regs: [dirfd('dirfd'), str('pathname')], exec: true },
  { name: 'clone', params: cloneParams, regs: [val('flags')], clone: true },
  { name: 'clone3', params: cloneParams, regs: [struct('clone_args')], clone: true },
  { name: 'fork', params: cloneParams, regs: [], clone: true },
  { name: 'vfork', params: cloneParams, regs: [], clone: true },
  { name: 'ptrace', params: [res, p('addr', 'uint'), p('data', 'uint'), p('request', 'enum', { table: PTRACE_REQUESTS }), p('pid', 'pid')], regs: [val('request'), val('pid'), val('addr'), val('data')] },
  { name: 'kill', params: [res, p('pid', 'pid'), p('sig', 'sig')], regs: [val('pid'), val('sig')] },
  { name: 'tgkill', params: [res, p('pid', 'pid'), p('tid', 'pid'), p('sig', 'sig')], regs: [val('pid'), val('tid'), val('sig')] },
  { name: 'prctl', params: [res, p('option', 'enum', { table: PRCTL_OPTIONS }), p('arg2_str', 'charbuf'), p('arg2_int', 'int')], regs: [val('option'), val('arg2_int')] },
  { name: 'setuid', params: [res, p('uid', 'uid')], regs: [val('uid')], state: true, creds: true },
  { name: 'setgid', params: [res, p('gid', 'gid')], regs: [val('gid')], state: true, creds: true },
  { name: 'setreuid', params: [res, p('ruid', 'uid'), p('euid', 'uid')], regs: [val('ruid'), val('euid')], state: true, creds: true },
  { name: 'setregid', params: [res, p('rgid', 'gid'), p('egid', 'gid')], regs: [val('rgid'), val('egid')], state: true, creds: true },
  { name: 'setresuid', params: [res, p('ruid', 'uid'), p('euid', 'uid'), p('suid', 'uid')], regs: [val('ruid'), val('euid'), val('suid')], state: true, creds: true },
  { name: 'setresgid', params: [res, p('rgid', 'gid'), p('egid', 'gid'), p('sgid', 'gid')], regs: [val('rgid'), val('egid'), val('sgid')], state: true, creds: true },
  // Falco has no event of its own for setfsuid/setfsgid (a generic syscall
  // event): the agent decodes the id it sets. The fs ids only decide file
  // access, which no Falco field shows: not state syscalls.
  { name: 'setfsuid', params: [res, p('uid', 'uid')], regs: [val('uid')], creds: true },
  { name: 'setfsgid', params: [res, p('gid', 'gid')], regs: [val('gid')], creds: true },
  { name: 'capset', params: [res, p('cap_inheritable', 'uint'), p('cap_permitted', 'uint'), p('cap_effective', 'uint')], regs: [], state: true, creds: true },
  { name: 'setns', params: [res, p('fd', 'fd'), p('nstype', 'flags', { table: NS_TYPES })], regs: [fd('fd'), val('nstype')] },
  { name: 'unshare', params: [res, p('flags', 'flags', { table: NS_TYPES })], regs: [val('flags')] },
  // kernel
  { name: 'init_module', params: [res, p('img', 'bytes'), p('length', 'uint'), p('uargs', 'charbuf')], regs: [__, val('length'), str('uargs')] },
  { name: 'finit_module', params: [res, p('fd', 'fd'), p('uargs', 'charbuf'), p('flags', 'uint')], regs: [fd('fd'), str('uargs'), val('flags')] },
  { name: 'delete_module', params: [res, p('name', 'charbuf'), p('flags', 'flags', { table: DELETE_MODULE_FLAGS })], regs: [str('name'), val('flags')] },
  { name: 'bpf', params: [p('fd', 'fd'), p('cmd', 'enum', { table: BPF_CMDS })], regs: [val('cmd')] },
  { name: 'userfaultfd', params: [res, p('flags', 'flags', { table: FD_FLAGS })], regs: [val('flags')] },
  { name: 'getppid', params: [res], regs: [], testOnly: true },
];

/** Every syscall the agent decodes. */
export const SYSCALLS: readonly SyscallRow[] = ROWS;

const BY_NAME = new Map<string, SyscallRow>(ROWS.map((r) => [r.name, r]));

/** The row of a syscall the agent decodes, or undefined. */
export function syscallRow(name: string): SyscallRow | undefined {
  return BY_NAME.get(name);
}

/** The names of the syscalls that have a role, in table order. */
export function syscallsWith(role: keyof SyscallRoles): string[] {
  return ROWS.filter((r) => r[role] === true).map((r) => r.name);
}

// ---- Derived ----

/**
 * Whether the event's fd is one of its registers (capture `fd`): the state's
 * builder (src/state/builder.ts) takes it from the fd table (the kernel's
 * facts when the table is lazy or has no entry), so it may be an fd that an
 * open the pre-filter skipped returned. The event's fd is always register 0
 * (the builder reads it there; the table test checks it).
 */
export function readsFdTable(row: SyscallRow): boolean {
  return row.regs.some((r) => r.capture === 'fd');
}

/**
 * The opens whose event carries open(2) flags: Falco's open family for
 * evt.is_open_read/write/create and fs.path.* (libsinsp:
 * open, openat, openat2 and open_by_handle_at, which the agent does not
 * decode, so no event of it ever reaches a field). Not creat: its Falco
 * event has no flags.
 */
export function opensWithFlags(): string[] {
  return ROWS.filter((r) => r.open && r.params.some((x) => x.name === 'flags' && x.table === OPEN_FLAGS)).map((r) => r.name);
}

/** Param types whose raw value is an unsigned 32-bit number; the rest are signed. */
const UNSIGNED: ReadonlySet<ParamType> = new Set(['uint', 'uid', 'gid', 'mode', 'flags']);

/** A register that fills a parameter, as src/events/decode.ts decodes it. */
export interface RegisterParam {
  /** The register's index (its string is item Arg0 + index). */
  index: number;
  param: string;
  /** The string behind the pointer (capture `path`), not the register's value. */
  string: boolean;
  /** The value as unsigned 32 bits (flags, ids, modes, sizes); else signed. */
  unsigned: boolean;
}

const REGISTER_PARAMS = new Map<string, readonly RegisterParam[]>(
  ROWS.map((r) => [
    r.name,
    r.regs.flatMap((reg, index) => {
      if (reg.param === undefined) return [];
      const type = r.params.find((x) => x.name === reg.param)?.type;
      return [{ index, param: reg.param, string: reg.capture === 'path', unsigned: type !== undefined && UNSIGNED.has(type) }];
    }),
  ]),
);

/** The registers of a syscall that fill parameters, in order (empty for a name the agent does not decode). */
export function registerParams(name: string): readonly RegisterParam[] {
  return REGISTER_PARAMS.get(name) ?? [];
}

const CAPTURE_INDEX = new Map<string, ReadonlyMap<ArgCapture, number>>(
  ROWS.map((r) => {
    const m = new Map<ArgCapture, number>();
    r.regs.forEach((reg, i) => {
      if (reg.capture !== 'none' && !m.has(reg.capture)) m.set(reg.capture, i);
    });
    return [r.name, m];
  }),
);

/**
 * The register a syscall's struct capture is in (its item is Arg0 or Out0
 * plus it): the first of `captures` the row has, or -1.
 */
export function captureIndex(name: string, ...captures: ArgCapture[]): number {
  const m = CAPTURE_INDEX.get(name);
  for (const c of captures) {
    const i = m?.get(c);
    if (i !== undefined) return i;
  }
  return -1;
}
