// Hand-built events for the rules tests: a process tree with a container,
// and helpers for the common syscalls. Every field has a plausible benign
// default; tests override what the rule under test looks at.

import type { ContainerInfo, FdInfo, ProcessInfo, SyscallEvent } from '../../src/events/model.js';

export const CONTAINER: ContainerInfo = {
  id: '3ad7b26ded6d',
  name: 'web',
  image: 'example/web:1.2',
  imageRepository: 'example/web',
  imageTag: '1.2',
  privileged: false,
};

let nextPid = 100;

export function proc(over: Partial<ProcessInfo> = {}): ProcessInfo {
  const pid = over.pid ?? nextPid++;
  const comm = over.comm ?? 'app';
  return {
    pid,
    vpid: pid,
    sid: 1,
    vpgid: 1,
    comm,
    exe: over.exe ?? '/usr/bin/' + comm,
    exepath: over.exepath ?? '/usr/bin/' + comm,
    args: [],
    cwd: '/app',
    uid: 1000,
    gid: 1000,
    euid: 1000,
    egid: 1000,
    user: { uid: 1000, name: 'app' },
    group: { gid: 1000, name: 'app' },
    loginuid: -1,
    capEffective: 0n,
    capPermitted: 0n,
    capInheritable: 0n,
    tty: 0,
    startTs: 1_700_000_000_000_000_000n,
    exeFromMemfd: false,
    exeUpperLayer: false,
    exeWritable: false,
    exited: false,
    fds: new Map(),
    container: CONTAINER,
    ...over,
  };
}

/** A process named `comm` whose ancestors are `chain` (parent first). */
export function procChain(comm: string, chain: string[], over: Partial<ProcessInfo> = {}): ProcessInfo {
  let parent: ProcessInfo | undefined;
  for (const name of [...chain].reverse()) parent = proc({ comm: name, parent });
  return proc({ comm, parent, ...over });
}

let num = 1;
export function event(type: string, p: ProcessInfo, over: Partial<SyscallEvent> = {}): SyscallEvent {
  return {
    num: num++,
    ts: 1_700_000_100_123_456_789n,
    type,
    tid: p.pid,
    res: 0,
    args: {},
    proc: p,
    ...over,
  };
}

export function fileFd(name: string, num = 3, over: Partial<FdInfo> = {}): FdInfo {
  return { num, type: 'file', name, ...over };
}

const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_CREAT = 0o100;
export const O_TRUNC = 0o1000;

/** openat of `path` with raw flags (default read-only), successful unless res < 0. */
export function openat(p: ProcessInfo, path: string, flags = O_RDONLY, res = 3): SyscallEvent {
  return event('openat', p, {
    res,
    args: { fd: res, dirfd: -100, name: path, flags, mode: 0 },
    fd: fileFd(path, res, { openFlags: flags }),
  });
}

/** A successful execve: the event's process is the new image. */
export function execve(p: ProcessInfo, res = 0): SyscallEvent {
  return event('execve', p, { res, args: { res, exe: p.exe, args: p.args.join('\0'), filename: p.exepath } });
}

export function tcpFd(num: number, clientIp: string, clientPort: number, serverIp: string, serverPort: number, isClient = true): FdInfo {
  return {
    num,
    type: 'ipv4',
    name: `${clientIp}:${clientPort}->${serverIp}:${serverPort}`,
    sock: { domain: 2, l4proto: 'tcp', clientIp, clientPort, serverIp, serverPort, isClient, connected: true },
  };
}

export function connect(p: ProcessInfo, serverIp: string, serverPort: number, res = 0): SyscallEvent {
  const fd = tcpFd(5, '172.17.0.2', 40000, serverIp, serverPort);
  return event('connect', p, { res, args: { res, fd: 5, tuple: fd.name }, fd });
}

export const RULES_DIR = new URL('../../../rules/upstream/', import.meta.url);
