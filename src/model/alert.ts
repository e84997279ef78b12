// The ground floor every stage imports: Falco's priorities and the alert in
// Falco's JSON output schema (json_output: true), what every sink receives
// and what the orchestrator link ships. Defined once, here.

/** Falco's priorities, most severe first. */
export const PRIORITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'] as const;

export type Priority = (typeof PRIORITIES)[number];

/** A priority name as Falco reads it (case-insensitive, `info` for Informational); undefined if none. */
export function parsePriority(s: string): Priority | undefined {
  const l = s.trim().toLowerCase();
  if (l === 'info') return 'Informational';
  return PRIORITIES.find((p) => p.toLowerCase() === l);
}

export interface FalcoAlert {
  /** UTC with nanoseconds and a trailing `Z`: 2016-08-04T16:17:57.881781397Z */
  time: string;
  rule: string;
  priority: Priority;
  source: 'syscall';
  hostname: string;
  /** `<time>: <Priority> <message>` */
  output: string;
  tags: string[];
  /** Every field of the output string, typed; null when missing. */
  output_fields: Record<string, string | number | boolean | null>;
}
