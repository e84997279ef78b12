// Value-name tables of syscall parameters: raw Linux values and the names
// Falco prints for them (evt.arg.flags = O_WRONLY|O_CREAT...). The syscall
// table (syscalls.ts) says which parameter uses which; the renderers live
// with the events (src/events/schema.ts).

/** A value-name table: for flags, bit masks in Falco's printing order. */
export interface NameTable {
  kind: 'flags' | 'enum';
  entries: readonly (readonly [string, number])[];
}

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

const EXE_BIT: Record<string, number> = Object.fromEntries(EXE_FLAGS.entries);
/** A process image's facts as the execve/execveat `flags` parameter carries them (EXE_FLAGS bits). */
export function exeFlags(img: { exeWritable: boolean; exeUpperLayer: boolean; exeFromMemfd: boolean }): number {
  return (img.exeWritable ? EXE_BIT.EXE_WRITABLE! : 0) | (img.exeUpperLayer ? EXE_BIT.EXE_UPPER_LAYER! : 0) | (img.exeFromMemfd ? EXE_BIT.EXE_FROM_MEMFD! : 0);
}

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
