// What the analysis asks of the supervisor's tracer, as the control channel
// carries it (parsed by native/supervisor.cc parse_plan): a message kind on
// the first line, then one item a line. The same text is the build-time plan
// of the embedded default rules (build/Release/default-plan.txt, or
// lib/default-plan.txt in the dist tree), which lets the workload start
// before the analysis is up.
import type { NativePathPattern } from './native.js';

export interface TracePlan {
  /** Syscalls that stop the workload; exit: also at the syscall's exit. */
  syscalls: { name: string; exit: boolean }[];
  /** Read /proc/PID/environ at exec (proc.env). */
  readEnv: boolean;
  /** A full ring makes the workload wait instead of dropping records (SYSDIG_PRIORITY=security). */
  backpressure: boolean;
  /** Pin the supervisor and the workload to this CPU. */
  cpu?: number;
  /** false: run the workload untraced. */
  trace: boolean;
  ringBytes?: number;
  /** The open pre-filter; null: every open matters. */
  pathFilter: NativePathPattern[] | null;
}

/**
 * The largest message the control channel carries (a SOCK_SEQPACKET
 * datagram must fit the socket's send buffer, ~208 KiB by default). A
 * pre-filter too large for it is replaced by none: every open then matters,
 * which costs stops, never events.
 */
export const MAX_MESSAGE_BYTES = 180_000;

function filterLines(patterns: NativePathPattern[] | null): string[] {
  if (patterns === null) return ['filter none'];
  // No push(...spread): a rule's list can have 100k+ paths.
  return ['filter list'].concat(patterns.map((p) => `p ${p.kind} ${p.write ? 1 : 0} ${Buffer.from(p.value, 'utf8').toString('hex')}`));
}

/** The message, or the same without its pre-filter when it would not fit the channel. */
export function fitted(encode: (patterns: NativePathPattern[] | null) => string, patterns: NativePathPattern[] | null): { message: string; filterDropped: boolean } {
  const message = encode(patterns);
  if (Buffer.byteLength(message) <= MAX_MESSAGE_BYTES || patterns === null) return { message, filterDropped: false };
  return { message: encode(null), filterDropped: true };
}

/** The plan message; `numbers` maps syscall names to the tracer's numbers (unknown names are left out). */
export function encodePlan(plan: TracePlan, numbers: Record<string, number>): string {
  const lines = ['plan'];
  for (const s of plan.syscalls) if (s.name in numbers) lines.push(`s ${numbers[s.name]} ${s.exit ? 1 : 0}`);
  lines.push(`env ${plan.readEnv ? 1 : 0}`, `bp ${plan.backpressure ? 1 : 0}`, `cpu ${plan.cpu ?? -1}`, `trace ${plan.trace ? 1 : 0}`);
  if (plan.ringBytes !== undefined) lines.push(`ring ${plan.ringBytes}`);
  return lines.concat(filterLines(plan.pathFilter)).join('\n') + '\n';
}

/** A new open pre-filter for the rules now in force. */
export function encodeFilter(patterns: NativePathPattern[] | null): string {
  return ['filter'].concat(filterLines(patterns)).join('\n') + '\n';
}
