// The typed boundary of the native addon (native/addon.cc). Exactly what the
// addon exports; nothing else crosses.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface NativeStartOptions {
  /** argv[0] is looked up in the workload's PATH like execvp does. */
  argv: string[];
  /** K=V strings, agent secrets already removed. */
  env: string[];
  /** Syscalls that stop the workload; exit: also stop at the syscall's exit. */
  syscalls: { name: string; exit: boolean }[];
  trace?: boolean;
  readEnv?: boolean;
  ringBytes?: number;
  /** Pin the tracer thread and the workload to this CPU (-1: no pinning). */
  cpu?: number;
  /** The open pre-filter (native/prefilter.h); null/absent: every open matters. */
  pathFilter?: NativePathPattern[] | null;
}

/** kind: 0 exact, 1 prefix, 2 suffix, 3 contains (native/prefilter.h PatternKind). */
export interface NativePathPattern {
  kind: 0 | 1 | 2 | 3;
  value: string;
  /** Matches only opens for writing (O_WRONLY, O_RDWR, creat). */
  write?: boolean;
}

export interface NativeStartResult {
  pid: number;
  traced: boolean;
  /** errno when the fork itself failed. */
  error: number;
  /** Why tracing is off, when it is. */
  message: string;
  /** Requested syscalls the tracer does not know. */
  unknownSyscalls: string[];
}

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
  ringUsed: number;
  ringCapacity: number;
  finished: boolean;
}

export interface NativeAddon {
  start(opts: NativeStartOptions, onData: () => void): NativeStartResult;
  drain(maxBytes?: number): Buffer | null;
  stats(): NativeStats;
  setPathFilter(patterns: NativePathPattern[] | null): void;
  syscalls(): Record<string, number>;
  filterProgram(set: { name: string; exit: boolean }[]): [number, number, number, number][];
}

let addon: NativeAddon | undefined;

/** Next to the bundle in /opt/draios/lib, else the repository's build output. */
function addonPath(): string {
  const candidates = [
    process.env.DRAIOS_TRACER_ADDON,
    fileURLToPath(new URL('./tracer.node', import.meta.url)),
    fileURLToPath(new URL('../../../build/Release/tracer.node', import.meta.url)),
  ];
  for (const c of candidates) if (c && existsSync(c)) return c;
  throw new Error(`tracer addon not found (looked in ${candidates.filter(Boolean).join(', ')})`);
}

export function loadAddon(): NativeAddon {
  if (!addon) addon = createRequire(import.meta.url)(addonPath()) as NativeAddon;
  return addon;
}
