// The typed boundary of the native addon (native/addon.cc): the analysis
// process's side of the shared ring and of the supervisor's control channel,
// and the tracer's tables. Exactly what the addon exports; nothing else crosses.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ArgCapture } from '../model/syscalls.js';

/** native/prefilter.h PatternKind: how an open pre-filter pattern matches a path. */
export const PatternKind = { exact: 0, prefix: 1, suffix: 2, contains: 3 } as const;

export interface NativePathPattern {
  kind: (typeof PatternKind)[keyof typeof PatternKind];
  value: string;
  /** Matches only opens for writing (O_WRONLY, O_RDWR, creat). */
  write?: boolean;
}

/** The trace loop's counters (native/shared.h Stats), read from shared memory. */
export interface NativeStats {
  stops: number;
  syscalls: number;
  records: number;
  dropped: number;
  clones: number;
  execs: number;
  exits: number;
  signals: number;
  readErrors: number;
  /** Opens resumed without an exit stop: no rule could match them. */
  opensSkipped: number;
  /** Time the workload waited for ring space (backpressure). */
  backpressureMs: number;
  /** Stops of the workload's own SECCOMP_RET_TRACE filter, answered ENOSYS. */
  foreignSeccomp: number;
  /** ptrace calls on agent processes, refused with EPERM. */
  denied: number;
  /** Analysis processes started (1 + restarts). */
  analysisStarts: number;
  ringUsed: number;
  ringCapacity: number;
  workloadPid: number;
  /** The trace loop has ended. */
  finished: boolean;
  /** The workload's main process has ended, with this wait status. */
  workloadExited: boolean;
  workloadStatus: number;
}

/**
 * A syscall the tracer decodes (native/syscalls.cc kSyscalls): its x86_64
 * number, how each of its six registers is captured (ArgKind by name), and
 * its flags by name: creds (SF_CREDS), sockname (SF_SOCKNAME), open
 * (SF_OPEN), cwd (SF_CWD); `unnamed:N` for bits without a name.
 */
export interface NativeSyscall {
  nr: number;
  args: ArgCapture[];
  flags: string[];
}

export interface NativeAddon {
  /** Maps the supervisor's ring; onData runs when the doorbell rings. False: not a ring. */
  attach(ringFd: number, doorbellFd: number, controlFd: number, onData: () => void): boolean;
  /** Whole records after the read position, or null (the doorbell is then armed). */
  drain(maxBytes?: number): Buffer | null;
  /** What was drained is processed: its space goes back to the supervisor. */
  commit(): void;
  /** One message on the control channel (src/tracer/plan.ts). */
  send(message: string): boolean;
  stats(): NativeStats;
  /** The tracer's syscall table, by name (src/model/syscalls.ts is its TypeScript side). */
  syscalls(): Record<string, NativeSyscall>;
  secretEnvVars(): string[];
  filterProgram(set: { name: string; exit: boolean }[]): [number, number, number, number][];
  /** native/record.h as numbers: RecHdr and Creds offsets, record kinds, flags, item tags, notice codes. */
  layout(): { hdr: Record<string, number>; creds: Record<string, number>; fdFacts: Record<string, number>; exeStat: Record<string, number | Record<string, number>>; patternKinds: Record<string, number>; kinds: Record<string, number>; flags: Record<string, number>; tags: Record<string, number>; notices: Record<string, number> };
}

let addon: NativeAddon | undefined;

/** Next to the bundle in /opt/draios/lib, else the repository's build output. */
function addonPath(): string {
  const candidates = [
    fileURLToPath(new URL('./tracer.node', import.meta.url)),
    fileURLToPath(new URL('../../../build/Release/tracer.node', import.meta.url)),
  ];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`tracer addon not found (looked in ${candidates.join(', ')})`);
}

export function loadAddon(): NativeAddon {
  if (!addon) addon = createRequire(import.meta.url)(addonPath()) as NativeAddon;
  return addon;
}
