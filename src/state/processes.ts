// The process table: threads grouped into processes, the process tree (kept
// by reference, so ancestry survives a parent's exit and re-parenting), and
// each process's file-descriptor table (whose changes are fds.ts). Fed by the
// tracer's lifecycle records (builder.ts).
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import type { ContainerInfo, FdInfo, ProcessInfo } from '../events/model.js';
import type { ExecFacts } from '../events/decode.js';
import type { Creds, ExeStat } from '../tracer/index.js';
import * as fds from './fds.js';
import type { UserDb } from './users.js';

const CLK_TCK = 100;

function bootTimeNs(): bigint {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (m) return BigInt(m[1]!) * 1_000_000_000n;
  } catch {
    // not Linux /proc: start times stay approximate
  }
  return 0n;
}

export class ProcessTable {
  private readonly procs = new Map<number, ProcessInfo>();
  private readonly threads = new Map<number, number>(); // tid -> tgid
  private readonly boot = bootTimeNs();
  /** The workload's entrypoint process (its parent is invisible: the wrapper). */
  mainPid = -1;

  constructor(
    readonly container: ContainerInfo,
    private readonly users: UserDb,
    /** false: never read /proc (a replayed capture's processes are not this host's). */
    private readonly procfs = true,
  ) {}

  get size(): number {
    return this.procs.size;
  }

  /** Every known thread with its process (for a capture's process and fd lists). */
  *threadEntries(): Generator<[number, ProcessInfo]> {
    for (const [tid, pid] of this.threads) {
      const p = this.procs.get(pid);
      if (p) yield [tid, p];
    }
  }

  /** The process of a thread, creating a bare one if the tracer never told us. */
  byTid(tid: number, tgid?: number): ProcessInfo {
    const pid = this.threads.get(tid) ?? tgid ?? tid;
    let p = this.procs.get(pid);
    if (p === undefined) {
      p = this.fromProc(pid);
      this.procs.set(pid, p);
    }
    this.threads.set(tid, pid);
    return p;
  }

  get(pid: number): ProcessInfo | undefined {
    return this.procs.get(pid);
  }

  /** A new thread (thread: true) or a new process forked from parentPid. */
  onClone(tid: number, tgid: number, parentPid: number, thread: boolean, ts: bigint): ProcessInfo {
    if (thread) {
      this.threads.set(tid, tgid);
      return this.byTid(tid, tgid);
    }
    const parent = this.procs.get(parentPid);
    let p: ProcessInfo;
    if (parent !== undefined) {
      p = {
        ...parent,
        pid: tgid,
        vpid: parent.vpid === parent.pid ? tgid : 0,
        parent,
        fds: fds.inherit(parent),
        startTs: ts,
        exited: false,
        args: parent.args,
      };
    } else {
      p = this.fromProc(tgid);
    }
    this.procs.set(tgid, p);
    this.threads.set(tid, tgid);
    return p;
  }

  /** exec: a new image in process pid (formerTid: the thread that called it). */
  onExec(pid: number, formerTid: number, facts: ExecFacts, isMain: boolean): ProcessInfo {
    if (formerTid !== pid) this.threads.delete(formerTid);
    let p = this.procs.get(pid);
    if (p === undefined) {
      p = this.fromProc(pid);
      this.procs.set(pid, p);
    }
    this.threads.set(pid, pid);
    if (isMain) {
      this.mainPid = pid;
      p.parent = undefined;
    }
    const argv = facts.cmdline ?? [];
    if (argv.length) {
      p.exe = argv[0]!;
      p.args = argv.slice(1);
    }
    if (facts.comm !== undefined) p.comm = facts.comm;
    if (facts.exepath !== undefined) this.setExe(p, facts.exepath);
    if (facts.cwd !== undefined) p.cwd = facts.cwd;
    if (facts.env !== undefined) p.env = facts.env;
    if (facts.creds) this.applyCreds(p, facts.creds);
    if (facts.exe) exeFacts(p, facts.exe, facts.creds);
    fds.exec(p);
    return p;
  }

  /**
   * A process found entering the container from outside (the tracer seized
   * it already running): its image as an exec tells it, its parent inside
   * the namespace (0: outside it, so none in the rules' view).
   */
  onEnter(pid: number, parentPid: number, facts: ExecFacts): ProcessInfo {
    const p = this.onExec(pid, pid, facts, false);
    p.parent = parentPid > 0 ? this.procs.get(parentPid) : undefined;
    p.entered = true;
    return p;
  }

  onExit(tid: number, leader: boolean): void {
    const pid = this.threads.get(tid) ?? tid;
    this.threads.delete(tid);
    if (leader) {
      const p = this.procs.get(pid);
      if (p) p.exited = true; // children keep their reference: ancestry survives
      this.procs.delete(pid);
    }
  }

  applyCreds(p: ProcessInfo, c: Creds): void {
    p.uid = c.euid;
    p.gid = c.egid;
    p.euid = c.euid;
    p.egid = c.egid;
    p.user = this.users.user(c.euid);
    p.group = this.users.group(c.egid);
    p.loginuid = c.loginuid;
    p.loginuser = c.loginuid >= 0 ? this.users.user(c.loginuid) : undefined;
    p.capEffective = c.capEff;
    p.capPermitted = c.capPrm;
    p.capInheritable = c.capInh;
    if (c.vpid > 0) p.vpid = c.vpid;
    p.sid = c.sid;
    p.vpgid = c.pgid;
    p.tty = c.tty;
    // the clone record's time when we saw the fork (ns); /proc's start time is in clock ticks from a boot time in whole seconds
    if (p.startTs === 0n && c.startTicks > 0n && this.boot > 0n) p.startTs = this.boot + (c.startTicks * 1_000_000_000n) / BigInt(CLK_TCK);
  }

  private setExe(p: ProcessInfo, target: string): void {
    // a memfd shows as "/memfd:NAME (deleted)"; Falco prints memfd:NAME
    const m = /^\/memfd:(.*?)(?: \(deleted\))?$/.exec(target);
    if (m) {
      p.exepath = `memfd:${m[1]}`;
      p.exeFromMemfd = true;
    } else {
      p.exepath = target.replace(/ \(deleted\)$/, '');
      p.exeFromMemfd = false;
    }
  }

  /**
   * Rebuilds the table from /proc, as libsinsp does at start: every
   * descendant of `root` (the supervisor) but `skip` (this analysis
   * process), parents before children, with credentials, threads and the
   * fds that name a path. Used when the analysis restarts while the workload
   * runs; sockets and pipes are learned again at their next use. When the
   * supervisor is PID 1 of the namespace, the processes whose parent is
   * outside it (ppid 0) entered the container: they and their descendants
   * are read too, marked entered.
   */
  rescan(root: number, skip: number, mainPid: number): number {
    const children = new Map<number, number[]>();
    for (const name of safeReaddir('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid === skip) continue;
      const ppid = procStat(pid)?.ppid;
      if (ppid === undefined) continue;
      const list = children.get(ppid) ?? [];
      list.push(pid);
      children.set(ppid, list);
    }
    let n = 0;
    const entered = new Set(root === 1 ? (children.get(0) ?? []).filter((pid) => pid !== root) : []);
    const queue = [...(children.get(root) ?? []), ...entered];
    while (queue.length) {
      const pid = queue.shift()!;
      queue.push(...(children.get(pid) ?? []));
      const st = procStat(pid);
      if (st === undefined) continue;
      const p = this.fromProc(pid);
      p.parent = pid === mainPid ? undefined : this.procs.get(st.ppid);
      if (entered.has(pid) || p.parent?.entered) p.entered = true;
      const creds = procCreds(pid, st);
      if (creds) this.applyCreds(p, creds);
      for (const fd of safeReaddir(`/proc/${pid}/fd`)) {
        const num = Number(fd);
        let target: string;
        try {
          target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        if (!target.startsWith('/')) continue;
        let type: FdInfo['type'] = 'file';
        try {
          if (statSync(target).isDirectory()) type = 'directory';
        } catch {
          // a deleted file: still a file
        }
        fds.set(p, { num, type, name: target.replace(/ \(deleted\)$/, '') });
      }
      this.procs.set(pid, p);
      for (const t of safeReaddir(`/proc/${pid}/task`)) this.threads.set(Number(t), pid);
      if (pid === mainPid) this.mainPid = pid;
      n++;
    }
    return n;
  }

  /** A process we learn about without its history: read what /proc tells. */
  private fromProc(pid: number): ProcessInfo {
    let comm = '';
    let argv: string[] = [];
    let exepath = '';
    let cwd = '/';
    try {
      if (this.procfs) {
        comm = readFileSync(`/proc/${pid}/comm`, 'utf8').replace(/\n$/, '');
        argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        if (argv[argv.length - 1] === '') argv.pop();
        exepath = readlinkSync(`/proc/${pid}/exe`);
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      }
    } catch {
      // gone already, or not ours to read
    }
    const p: ProcessInfo = {
      pid,
      vpid: pid,
      sid: 0,
      vpgid: 0,
      comm,
      exe: argv[0] ?? comm,
      exepath,
      args: argv.slice(1),
      cwd,
      uid: 0,
      gid: 0,
      euid: 0,
      egid: 0,
      user: this.users.user(0),
      group: this.users.group(0),
      loginuid: -1,
      capEffective: 0n,
      capPermitted: 0n,
      capInheritable: 0n,
      tty: 0,
      startTs: 0n,
      exeFromMemfd: false,
      exeUpperLayer: false,
      exeWritable: false,
      parent: undefined,
      exited: false,
      fds: new Map(),
      container: this.container,
    };
    this.setExe(p, exepath);
    return p;
  }
}

const CAP_DAC_OVERRIDE = 1n;

/**
 * What the exec's executable says of the image: Falco's exe_ino* fields,
 * is_exe_writable (the kernel's permission check for writing, with the
 * process's credentials: owner, then its groups, then others) and
 * is_exe_upper_layer. The
 * latter is "in the overlay's upper layer": on the container's fresh
 * overlay that is a file this run wrote or changed (copy-up), which the
 * tracer tells by an inode changed since it started.
 */
function exeFacts(p: ProcessInfo, x: ExeStat, c: Creds | undefined): void {
  p.exeIno = Number(x.ino);
  p.exeInoCtime = x.ctime;
  p.exeInoMtime = x.mtime;
  p.exeUpperLayer = x.overlay && x.sinceStart;
  const fsuid = c?.fsuid ?? p.euid;
  const fsgid = c?.fsgid ?? p.egid;
  const capEff = c?.capEff ?? p.capEffective;
  p.exeWritable =
    !x.readOnly &&
    (((capEff >> CAP_DAC_OVERRIDE) & 1n) === 1n || (x.mode & (x.uid === fsuid ? 0o200 : x.gid === fsgid || x.groupMember ? 0o020 : 0o002)) !== 0);
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

interface ProcStat {
  ppid: number;
  pgid: number;
  sid: number;
  tty: number;
  startTicks: bigint;
}

/** The fields of /proc/PID/stat after the comm (which may hold spaces and parentheses). */
function procStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]), tty: Number(f[4]), startTicks: BigInt(f[19] ?? 0) };
  } catch {
    return undefined;
  }
}

/** Credentials as the tracer reads them at exec (native Creds), from /proc/PID/status. */
function procCreds(pid: number, st: ProcStat): Creds | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string): string[] => (new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '').trim().split(/\s+/);
  const [ruid, euid, suid, fsuid] = field('Uid').map(Number);
  const [rgid, egid, sgid, fsgid] = field('Gid').map(Number);
  const hex = (name: string): bigint => BigInt('0x' + (field(name)[0] || '0'));
  const nspid = field('NSpid');
  let loginuid = -1;
  try {
    const l = Number(readFileSync(`/proc/${pid}/loginuid`, 'utf8'));
    loginuid = l === 4294967295 ? -1 : l;
  } catch {
    // no audit support
  }
  return {
    ruid: ruid ?? 0, euid: euid ?? 0, suid: suid ?? 0, fsuid: fsuid ?? 0,
    rgid: rgid ?? 0, egid: egid ?? 0, sgid: sgid ?? 0, fsgid: fsgid ?? 0,
    capInh: hex('CapInh'), capPrm: hex('CapPrm'), capEff: hex('CapEff'),
    loginuid, vpid: Number(nspid[nspid.length - 1]) || pid, ppid: st.ppid, sid: st.sid, pgid: st.pgid, tty: st.tty, startTicks: st.startTicks,
  };
}
