// --capture-file: every event the agent builds, written to a scap capture
// that sysdig and Falco read (libs of March 2022 and later). Called at one
// place in the detection path with each tracer record and the event built
// from it (after the state applied it). Syscall events become the enter/exit
// pairs a kernel driver emits; lifecycle records become clone, execve and
// procexit events. Each file starts with the state of the moment (machine
// info, users, processes and their fds), so a rotated file reads alone.
import { cpus, hostname as osHostname, totalmem } from 'node:os';
import { RecordFlag, RecordKind, type TraceRecord } from '../tracer/index.js';
import type { ContainerInfo, ProcessInfo, SyscallEvent } from '../events/model.js';
import type { ProcessTable } from '../state/processes.js';
import type { UserDb } from '../state/users.js';
import { syscallsWith } from '../model/syscalls.js';
import { encodeEvent, eventBlock, fdList, machineInfo, processList, sectionHeader, userList } from './blocks.js';
import { CaptureFile, type CaptureFileCounters } from './file.js';
import {
  PPM_CL_CLONE_THREAD,
  cloneFlagsToPpm,
  encodeSockaddr,
  encodeTuple,
  eventsForSyscall,
  fcntlCmdToPpm,
  joinList,
  ptraceReqToPpm,
  resolveToPpm,
  openFlagsToPpm,
  type Endpoint,
} from './scap.js';

export interface CaptureOptions {
  path: string;
  /** Rotate to PATH.1 beyond this many bytes (0: unbounded). */
  maxBytes: number;
  state: ProcessTable;
  users: UserDb;
  container: ContainerInfo;
  hostname?: string;
  onError(message: string): void;
}

export interface Capture {
  /** One tracer record and the event built from it (undefined for lifecycle records). Never throws. */
  record(rec: TraceRecord, evt: SyscallEvent | undefined): void;
  counters(): CaptureFileCounters & { captureUnrepresentable: number };
  close(timeoutMs: number): Promise<void>;
}

const OPEN_FAMILY = new Set(syscallsWith('open'));
const CLONE_FAMILY = new Set(syscallsWith('clone'));
const EXEC_FAMILY = new Set(syscallsWith('exec'));
const PROCESS_PARAMS = new Set(['exe', 'args', 'tid', 'pid', 'ptid', 'cwd', 'comm', 'cgroups', 'env', 'tty', 'pgid', 'loginuid', 'uid', 'gid', 'vtid', 'vpid', 'exe_ino', 'exe_ino_ctime', 'exe_ino_mtime', 'cap_inheritable', 'cap_permitted', 'cap_effective']);
const PPME_PROCEXIT_1_E = 186;
const PPME_CONTAINER_JSON_E = 272;

/** `ip:port` or a unix path (as the event args render a sockaddr) back to an endpoint. */
function endpointOf(text: unknown): Endpoint | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  const c = text.lastIndexOf(':');
  if (c > 0 && /^\d+$/.test(text.slice(c + 1)) && !text.startsWith('/') && !text.startsWith('@')) return { ip: text.slice(0, c), port: Number(text.slice(c + 1)) };
  return { path: text };
}

/** The value of one process parameter (execve/clone exit) from the state. */
function processParam(name: string, p: ProcessInfo, tid: number): number | bigint | string | Buffer | undefined {
  switch (name) {
    case 'exe': return p.exe;
    case 'args': return joinList(p.args);
    case 'tid': return tid;
    case 'pid': return p.pid;
    case 'ptid': return p.parent?.pid ?? 0;
    case 'cwd': return p.cwd;
    case 'comm': return p.comm;
    case 'cgroups': return Buffer.alloc(0);
    case 'env': return joinList(p.env ?? []);
    case 'tty': return p.tty;
    case 'pgid': return p.vpgid;
    case 'loginuid': return p.loginuid;
    case 'uid': return p.uid;
    case 'gid': return p.gid;
    case 'vtid': return tid === p.pid ? p.vpid : tid;
    case 'vpid': return p.vpid;
    case 'exe_ino': return BigInt(p.exeIno ?? 0);
    case 'exe_ino_ctime': return p.exeInoCtime ?? 0n;
    case 'exe_ino_mtime': return p.exeInoMtime ?? 0n;
    case 'cap_inheritable': return p.capInheritable;
    case 'cap_permitted': return p.capPermitted;
    case 'cap_effective': return p.capEffective;
    default: return undefined;
  }
}

/** The container's identity as the container event libsinsp parses (PPME_CONTAINER_JSON_E). */
function containerJson(c: ContainerInfo): string {
  return JSON.stringify({
    container: {
      id: c.id,
      type: 0,
      name: c.name ?? '',
      image: c.image ?? '',
      imagerepo: c.imageRepository ?? '',
      imagetag: c.imageTag ?? '',
      imagedigest: c.imageDigest ?? '',
      imageid: c.imageId ?? '',
      privileged: c.privileged,
      Mounts: [],
      labels: c.labels ?? {},
    },
  });
}

export function createCapture(o: CaptureOptions): Capture {
  const host = o.hostname ?? osHostname();
  let unrepresentable = 0;
  /** Processes that exec'd, waiting for their execve/execveat exit to name the call. */
  const pendingExec = new Map<number, { tid: number; ts: bigint }>();

  const header = (): Buffer => {
    const parts = [sectionHeader(), machineInfo({ cpus: cpus().length, memory: totalmem(), maxPid: 4194304, hostname: host })];
    const { users, groups } = o.users.list();
    parts.push(userList(users, groups));
    const threads = [...o.state.threadEntries()];
    parts.push(processList(threads));
    for (const [tid, p] of threads) {
      if (tid !== p.pid) continue; // threads share the leader's table
      const fdl = fdList(tid, p.fds.values());
      if (fdl) parts.push(fdl);
    }
    // the container's identity rides in the container event, as libsinsp writes it
    parts.push(eventBlock(PPME_CONTAINER_JSON_E, BigInt(Date.now()) * 1_000_000n, -1, [containerJson(o.container)]));
    return Buffer.concat(parts);
  };
  const file = new CaptureFile({ path: o.path, maxBytes: o.maxBytes, header, onError: o.onError });

  /** Enter and exit events of a (merged) syscall event, as a driver writes them. */
  const writeSyscall = (evt: SyscallEvent, type: string): void => {
    const nums = eventsForSyscall(type);
    if (!nums) {
      unrepresentable++;
      return;
    }
    const [en, xn] = nums;
    const a = evt.args;
    const p = evt.proc;
    const sock = evt.fd?.sock;
    const tuple = (): Buffer | undefined => {
      if (!sock || !sock.connected) return undefined;
      if (evt.fd?.type === 'unix') return encodeTuple({ path: sock.path }, { path: sock.path ?? evt.fd.name }, true);
      return encodeTuple({ ip: sock.clientIp, port: sock.clientPort }, { ip: sock.serverIp, port: sock.serverPort });
    };
    const value = (name: string, ptype: string, index: number, exit: boolean): number | bigint | string | Buffer | undefined => {
      if (exit && index === 0) return evt.res; // res, or fd for the calls that return one
      if ((EXEC_FAMILY.has(type) || CLONE_FAMILY.has(type)) && exit && PROCESS_PARAMS.has(name)) return processParam(name, p, evt.tid);
      if (ptype === 'SOCKTUPLE') return tuple();
      if (ptype === 'SOCKADDR') return encodeSockaddr(endpointOf(a[name]));
      if (name === 'flags') {
        const f = a.flags;
        if (typeof f !== 'number') return 0;
        if (OPEN_FAMILY.has(type)) return openFlagsToPpm(f);
        if (CLONE_FAMILY.has(type)) return cloneFlagsToPpm(f);
        if (type === 'unshare') return cloneFlagsToPpm(f);
        return f;
      }
      if (type === 'setns' && name === 'nstype') return cloneFlagsToPpm(a.nstype as number);
      if (type === 'openat2' && name === 'resolve') return resolveToPpm((a.resolve as number) ?? 0);
      if (type === 'fcntl' && name === 'cmd') return fcntlCmdToPpm(a.cmd as number);
      if (type === 'ptrace' && name === 'request') return ptraceReqToPpm(a.request as number);
      if (name === 'fd' && (type === 'dup' || type === 'dup2' || type === 'dup3')) return a.oldfd as number;
      if (type === 'creat' && name === 'mode') return a.mode as number;
      if ((type === 'setreuid' || type === 'setregid') && (name === 'suid' || name === 'sgid')) return -1;
      const v = a[name];
      if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v);
      return v as number | bigint | string | Buffer | undefined;
    };
    const ets = evt.ts > 0n ? evt.ts - 1n : evt.ts;
    file.append(encodeEvent(en, ets, evt.tid, (n, t, i) => value(n, t, i, false)));
    file.append(encodeEvent(xn, evt.ts, evt.tid, (n, t, i) => value(n, t, i, true)));
  };

  const flushExec = (pid: number, type = 'execve', evt?: SyscallEvent): void => {
    const pending = pendingExec.get(pid);
    if (!pending) return;
    pendingExec.delete(pid);
    const p = o.state.get(pid);
    if (!p) return;
    writeSyscall(evt ?? { num: 0, ts: pending.ts, type, tid: pending.tid, res: 0, args: { filename: p.exepath }, proc: p }, type);
  };

  return {
    record(rec, evt) {
      try {
        if (pendingExec.size && rec.kind !== RecordKind.Exec) {
          if (evt && EXEC_FAMILY.has(evt.type) && evt.res >= 0 && pendingExec.has(evt.proc.pid)) {
            flushExec(evt.proc.pid, evt.type, evt);
            return;
          }
          flushExec(rec.pid);
        }
        switch (rec.kind) {
          case RecordKind.Syscall:
            if (evt) writeSyscall(evt, evt.type);
            return;
          case RecordKind.Exec:
            // written when the execve/execveat exit names the call (or at the process's next record)
            pendingExec.set(rec.pid, { tid: rec.pid, ts: rec.ts });
            return;
          case RecordKind.Clone: {
            const parentPid = rec.args[0]!;
            flushExec(parentPid); // the child inherits the new image: its execve goes first
            const parent = o.state.get(parentPid);
            if (!parent) return;
            const thread = (rec.flags & RecordFlag.Thread) !== 0;
            // The tracer does not tell a vfork from a fork (the ptrace event does, but
            // nothing the rules read depends on it): both are written as clone.
            const [en, xn] = eventsForSyscall('clone')!;
            const flags = thread ? PPM_CL_CLONE_THREAD | cloneFlagsToPpm(0x100 | 0x200 | 0x400 | 0x800) : 0;
            const ts = rec.ts;
            file.append(encodeEvent(en, ts > 0n ? ts - 1n : ts, parentPid, () => undefined));
            file.append(encodeEvent(xn, ts, parentPid, (name, _t, i) => (i === 0 ? rec.tid : name === 'flags' ? flags : processParam(name, parent, parentPid))));
            return;
          }
          case RecordKind.Exit: {
            const status = rec.args[0]! | 0;
            const sig = status & 0x7f;
            const values = [status, sig === 0 ? (status >> 8) & 0xff : 0, sig === 0x7f ? 0 : sig, (status & 0x80) !== 0 ? 1 : 0];
            file.append(encodeEvent(PPME_PROCEXIT_1_E, rec.ts, rec.tid, (_n, _t, i) => values[i]));
            return;
          }
          default:
            return;
        }
      } catch (err) {
        // a bug here must not stop detection: count it and go on
        if (unrepresentable++ === 0) o.onError(`capture: cannot encode a record (${(err as Error).message}); such records are counted in captureUnrepresentable`);
      }
    },
    counters: () => ({ ...file.counters, captureUnrepresentable: unrepresentable }),
    async close(timeoutMs) {
      for (const pid of [...pendingExec.keys()]) flushExec(pid);
      await file.close(timeoutMs);
    },
  };
}
