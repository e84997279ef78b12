// Rule outputs: `%field` / `%field[arg]` substitution compiled once per rule,
// and alerts in Falco's JSON schema (json_output: true).

import type { FalcoAlert, Priority } from '../model/alert.js';
import type { SyscallEvent } from '../events/model.js';
import { bindField, CompileError } from './compiler.js';
import { isoTime, type FieldContext, type FieldType, type FieldValue } from './fields.js';
import { parseField } from './parser.js';

interface OutputField {
  text: string;
  get: (e: SyscallEvent) => FieldValue | FieldValue[] | undefined;
  type: FieldType;
}

export interface CompiledOutput {
  /** Literal text pieces; pieces.length === fields.length + 1. */
  pieces: string[];
  fields: OutputField[];
}

const FIELD_AT = /%(?:(tolower|toupper|b64|basename|len)\()?([a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_-]+)+)(\[[^\]]*\])?(\))?/y;

/**
 * What `%container.info` stands for in an output: Falco replaces the
 * placeholder with its container fields (as `-pc` prints them).
 */
export const CONTAINER_INFO =
  'container_id=%container.id container_image=%container.image.repository container_image_tag=%container.image.tag container_name=%container.name';

/** Compiles an output format. Throws CompileError on an unknown field. */
export function compileOutput(format: string, ctx: FieldContext): CompiledOutput {
  format = format.replaceAll('%container.info', CONTAINER_INFO);
  const pieces: string[] = [];
  const fields: OutputField[] = [];
  let lit = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c !== '%') {
      lit += c;
      i++;
      continue;
    }
    FIELD_AT.lastIndex = i;
    const m = FIELD_AT.exec(format);
    if (!m || (m[1] && !m[4])) {
      lit += c;
      i++;
      continue;
    }
    let name = m[2]!;
    // The closing parenthesis belongs to the field only with a transformer.
    let consumed = m[0].length - (m[4] && !m[1] ? 1 : 0);
    // A trailing dot is punctuation, not part of the name.
    while (name.endsWith('.') && !m[3]) {
      name = name.slice(0, -1);
      consumed--;
    }
    const text = (m[1] ? m[1] + '(' : '') + name + (m[3] ?? '') + (m[1] ? ')' : '');
    const bound = bindField(parseField(text), ctx);
    pieces.push(lit);
    lit = '';
    fields.push({ text, get: bound.get, type: bound.type });
    i += consumed;
  }
  pieces.push(lit);
  return { pieces, fields };
}

/** The text form of the time fields in output lines (Falco's, in UTC). */
const TIME_TEXT: Record<string, (ts: bigint) => string> = {
  'evt.time': (ts) => isoTime(ts).slice(11, 29),
  'evt.datetime': (ts) => isoTime(ts).slice(0, 29).replace('T', ' '),
  'evt.time.iso8601': (ts) => isoTime(ts),
};

function toText(f: OutputField, v: FieldValue | FieldValue[] | undefined): string {
  if (v === undefined) return '<NA>';
  if (Array.isArray(v)) return v.length ? v.map((x) => toText(f, x)).join(',') : '<NA>';
  if (typeof v === 'bigint') {
    const text = TIME_TEXT[f.text];
    if (text) return text(v);
  }
  if (v instanceof Uint8Array) return Buffer.from(v).toString('latin1');
  return String(v);
}

function toTyped(f: OutputField, v: FieldValue | FieldValue[] | undefined): string | number | boolean | null {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.length ? v.map((x) => toText(f, x)).join(',') : null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('latin1');
  return v;
}

/** The output message of a rule for an event (without time and priority). */
export function formatMessage(out: CompiledOutput, e: SyscallEvent): string {
  let s = out.pieces[0]!;
  for (let i = 0; i < out.fields.length; i++) {
    const f = out.fields[i]!;
    s += safeText(f, e) + out.pieces[i + 1]!;
  }
  return s;
}

function safeGet(f: OutputField, e: SyscallEvent): FieldValue | FieldValue[] | undefined {
  try {
    return f.get(e);
  } catch {
    return undefined;
  }
}

function safeText(f: OutputField, e: SyscallEvent): string {
  return toText(f, safeGet(f, e));
}

/** output_fields of an alert: every field of the output, typed, null when missing. */
export function outputFields(out: CompiledOutput, e: SyscallEvent): Record<string, string | number | boolean | null> {
  const o: Record<string, string | number | boolean | null> = {};
  for (const f of out.fields) o[f.text] = toTyped(f, safeGet(f, e));
  return o;
}

/** The minimal rule shape the alert builder needs. */
export interface AlertRule {
  name: string;
  priority: Priority;
  tags: string[];
  output: CompiledOutput;
}

/** `2016-08-04T16:17:57.881781397+0000`, as Falco prints the time in output lines. */
export function outputTime(ts: bigint): string {
  return isoTime(ts).slice(0, -1) + '+0000';
}

export interface AlertFormat {
  /** Falco's time_format_iso_8601: the output line starts with an ISO 8601 time (default: HH:MM:SS.nnnnnnnnn). */
  timeFormatIso8601?: boolean;
}

/** Integer fields of an alert whose exact value a double cannot hold (ns times): field -> decimal digits. */
const EXACT = Symbol('exact integers');

/**
 * A Falco JSON alert for a rule that matched an event. As Falco's format is
 * `%evt.time: %priority <output>` (`%evt.time.iso8601` with
 * time_format_iso_8601), output_fields also carry that time field as
 * integer nanoseconds.
 */
export function formatAlert(rule: AlertRule, evt: SyscallEvent, hostname: string, fmt: AlertFormat = {}): FalcoAlert {
  const timeField = fmt.timeFormatIso8601 ? 'evt.time.iso8601' : 'evt.time';
  const fields = outputFields(rule.output, evt);
  fields[timeField] = Number(evt.ts);
  const exact: Record<string, string> = {};
  for (const f of rule.output.fields) if (f.type === 'abstime' && typeof fields[f.text] === 'number') exact[f.text] = String(safeGet(f, evt));
  exact[timeField] = String(evt.ts);
  const alert: FalcoAlert = {
    hostname,
    output: `${fmt.timeFormatIso8601 ? outputTime(evt.ts) : TIME_TEXT['evt.time']!(evt.ts)}: ${rule.priority} ${formatMessage(rule.output, evt)}`,
    priority: rule.priority,
    rule: rule.name,
    source: 'syscall',
    tags: [...rule.tags],
    time: isoTime(evt.ts),
    output_fields: fields,
  };
  // Not enumerable: sinks that JSON.stringify the alert see a number (a
  // double: ~100 ns off at today's epoch); alertJson writes the exact digits.
  Object.defineProperty(alert, EXACT, { value: exact, enumerable: false });
  return alert;
}

/**
 * An alert as one line of Falco JSON, with nanosecond times written as exact
 * integers (JSON.stringify would round them to a double).
 */
export function alertJson(alert: FalcoAlert): string {
  const exact = (alert as unknown as { [EXACT]?: Record<string, string> })[EXACT];
  if (!exact) return JSON.stringify(alert);
  const MARK = '\u0001exact:';
  const json = JSON.stringify(alert, function (this: unknown, key, value) {
    return this === alert.output_fields && typeof value === 'number' && exact[key] !== undefined ? MARK + exact[key] : value;
  });
  return json.replace(/"\\u0001exact:(-?[0-9]+)"/g, '$1');
}

export { CompileError };
