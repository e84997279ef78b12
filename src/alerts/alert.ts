// An alert in Falco's JSON output schema (json_output: true). This is what
// every sink receives and what the orchestrator link ships.

export type Priority =
  | 'Emergency'
  | 'Alert'
  | 'Critical'
  | 'Error'
  | 'Warning'
  | 'Notice'
  | 'Informational'
  | 'Debug';

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
