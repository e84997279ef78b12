// The event-plus-state model: the contract between the tracer side (which
// fills these objects from syscalls, ptrace events and /proc) and the rules
// engine (whose field catalogue only reads them). Plain data, no behaviour:
// a field extractor must be able to read any value here without side effects.

/** Falco fd.type values. fd.typechar is derived from it. */
export type FdType =
  | 'file'
  | 'directory'
  | 'ipv4'
  | 'ipv6'
  | 'unix'
  | 'pipe'
  | 'event'
  | 'signalfd'
  | 'eventpoll'
  | 'inotify'
  | 'timerfd'
  | 'netlink'
  | 'memfd'
  | 'bpf'
  | 'userfaultfd'
  | 'io_uring'
  | 'unknown';

export type L4Proto = 'tcp' | 'udp' | 'icmp' | 'raw';

/** One entry of a process's file-descriptor table. */
export interface FdInfo {
  num: number;
  type: FdType;
  /**
   * fd.name as Falco renders it: the absolute resolved path for files and
   * directories, `cip:cport->sip:sport` for connected inet sockets, the path
   * for unix sockets, `pipe:[ino]`-style names for anonymous objects,
   * `memfd:NAME` for memfds.
   */
  name: string;
  /** fd.nameraw: the path exactly as the program passed it (files only). */
  nameRaw?: string;
  /** Raw O_* flags the file was opened with (files only). */
  openFlags?: number;
  /** File mode argument of open/creat, when known. */
  mode?: number;
  /** Inode number, when known. */
  ino?: number;
  /** Socket details (inet and unix). */
  sock?: SocketInfo;
  /** True when the fd was renamed since opened (fd.name_changed). */
  nameChanged?: boolean;
}

export interface SocketInfo {
  /** AF_INET, AF_INET6, AF_UNIX, AF_NETLINK, AF_PACKET ... as the numeric domain. */
  domain: number;
  l4proto?: L4Proto;
  /** Client/server view, as Falco keeps it: the side that called connect is the client. */
  clientIp?: string;
  clientPort?: number;
  serverIp?: string;
  serverPort?: number;
  /** true for the side that called connect/sendto, false for accept/listen, undefined when unknown. */
  isClient?: boolean;
  connected: boolean;
  /** Unix sockets: the path (or @abstract name). */
  path?: string;
}

export interface UserInfo {
  uid: number;
  /** From the container's own /etc/passwd; `<NA>` semantics (undefined) when unknown. */
  name?: string;
  homedir?: string;
  shell?: string;
}

export interface GroupInfo {
  gid: number;
  name?: string;
}

/** Container identity: from ECS task metadata, the cgroup, the hostname, or configuration. */
export interface ContainerInfo {
  /** 12 characters; never `host` when the agent runs as an entrypoint. */
  id: string;
  name?: string;
  /** `repo:tag` as configured or reported. */
  image?: string;
  imageRepository?: string;
  imageTag?: string;
  imageDigest?: string;
  imageId?: string;
  privileged: boolean;
  /** ns since the epoch, when known. */
  startTs?: bigint;
  /** Mount destinations (container.mount.dest[...]), when known. */
  mounts?: { source: string; dest: string; mode?: string; rw?: boolean }[];
  labels?: Record<string, string>;
  /** Task-level metadata for alert decoration (ECS). */
  task?: { arn?: string; cluster?: string; family?: string; revision?: string; availabilityZone?: string };
}

/**
 * A process (thread group) as the rules see it. Threads of one process share
 * this object; `tid` on the event tells which thread acted.
 */
export interface ProcessInfo {
  /** Host pid (thread group id). */
  pid: number;
  /** pid inside the workload's pid namespace (proc.vpid). */
  vpid: number;
  /** Session id and virtual process group id. */
  sid: number;
  vpgid: number;
  /** Kernel comm (at most 15 characters): proc.name. */
  comm: string;
  /** argv[0]: proc.exe. */
  exe: string;
  /** /proc/PID/exe target: proc.exepath (`memfd:NAME` for memfds). */
  exepath: string;
  /** argv[1..]: proc.args is these joined by spaces. */
  args: string[];
  /** Environment as `K=V` strings, when known (proc.env). */
  env?: string[];
  cwd: string;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  user: UserInfo;
  group: GroupInfo;
  /** -1 (printed as 4294967295 in some Falco versions) when unset. */
  loginuid: number;
  loginuser?: UserInfo;
  capEffective: bigint;
  capPermitted: bigint;
  capInheritable: bigint;
  /** Controlling tty number (0 when none). */
  tty: number;
  /** ns since the epoch. */
  startTs: bigint;
  /** Executable facts. */
  exeFromMemfd: boolean;
  exeUpperLayer: boolean;
  exeWritable: boolean;
  exeIno?: number;
  exeInoCtime?: bigint;
  exeInoMtime?: bigint;
  /**
   * Parent in the rules' view. Undefined for the workload's entrypoint (the
   * wrapper is invisible: the entrypoint looks like a container's PID 1).
   */
  parent?: ProcessInfo;
  /**
   * True when the process entered the container from outside its entrypoint
   * (ECS Exec, runc exec, nsenter), or descends from one that did
   * (proc.is_entered; docs/ecs-exec.md).
   */
  entered?: boolean;
  /** True once the process has exited (kept while children refer to it). */
  exited: boolean;
  fds: Map<number, FdInfo>;
  container: ContainerInfo;
}

/** Raw argument values keyed by Falco's parameter names for the event type. */
export type ArgValue = number | bigint | string | Uint8Array | undefined;

/**
 * One Falco syscall event: the exit of a syscall, carrying its entry
 * arguments and its result together (as Falco >= 0.42 evaluates rules).
 */
export interface SyscallEvent {
  /** Monotonic event number (evt.num). */
  num: number;
  /** ns since the epoch. */
  ts: bigint;
  /** Syscall name as Falco names the event type (`openat`, `execve`, ...). */
  type: string;
  /** Thread that made the call. */
  tid: number;
  /** Return value (evt.rawres); negative errno on failure. */
  res: number;
  /** Entry and exit parameters by Falco name (see src/events/schema.ts). */
  args: Record<string, ArgValue>;
  /** The acting process, after the event was applied to the state. */
  proc: ProcessInfo;
  /** The fd this event refers to, when there is one (after the event). */
  fd?: FdInfo;
}
