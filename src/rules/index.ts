// The rules engine's public API: load rule files into a Ruleset, evaluate
// events against it (indexed by evt.type), format alerts, and extract field
// values for debug views.

import type { FalcoAlert, Priority } from '../model/alert.js';
import type { SyscallEvent } from '../events/model.js';
import { bindField } from './compiler.js';
import type { FieldContext, FieldValue } from './fields.js';
import { formatAlert as formatAlertImpl, type AlertFormat } from './formatter.js';
export { alertJson, type AlertFormat } from './formatter.js';
import { loadFiles, PRIORITIES, type CompiledRule, type FileLoadResult } from './loader.js';
import { parseField } from './parser.js';
import type { PositionParser } from './yaml-tree.js';
import { ruleSetVersion } from './version.js';
import { describeLoadErrors } from './load-errors.js';

export type { CompiledRule, FileLoadResult, LoadMessage } from './loader.js';
export { ENGINE_VERSION, parsePriority, PRIORITIES } from './loader.js';
export { asString, parseCondition } from './parser.js';
export { listFields } from './fields.js';

export interface LoadOptions {
  ruleMatching?: 'first' | 'all';
  /** Rules less severe than this are not loaded (default Debug: all). */
  priorityMin?: Priority;
  hostname?: string;
  /** Resolves host names used with fd.*ip.name (once, at load time). */
  resolveHost?: (name: string) => string[] | undefined;
  /** The position-keeping parser (yaml-positions.ts parseWithPositions): messages with lines and columns. */
  positions?: PositionParser;
}

export interface RulesetCounters {
  /** Events passed to evaluate(). */
  events: number;
  /** Rule evaluations performed. */
  evaluations: number;
  /** Matches returned. */
  matches: number;
  /** Evaluations that threw (treated as non-matching). */
  errors: number;
  /** Matches per rule name. */
  byRule: Map<string, number>;
}

export interface Ruleset {
  /** Enabled rules after priority filtering, in definition order. */
  readonly rules: readonly CompiledRule[];
  readonly ruleMatching: 'first' | 'all';
  /** A short hash of the loaded files' contents. */
  readonly version?: string;
  readonly counters: RulesetCounters;
  /** Matching rules for an event (the first one, or all, per rule_matching). Never throws. */
  evaluate(evt: SyscallEvent): CompiledRule[];
  /** Union of the event types of the enabled rules, or 'all'. */
  eventTypes(): Set<string> | 'all';
  /** Every field the enabled rules use (conditions and outputs). */
  fieldsUsed(): string[];
  /** Values of the given fields (default: fieldsUsed()) for an event, for trace logs. */
  extract(evt: SyscallEvent, fields?: string[]): Record<string, string | number | boolean | null>;
}

const EMPTY: CompiledRule[] = [];

class RulesetImpl implements Ruleset {
  readonly counters: RulesetCounters = { events: 0, evaluations: 0, matches: 0, errors: 0, byRule: new Map() };
  private readonly byType = new Map<string, CompiledRule[]>();
  private readonly anyType: CompiledRule[];
  private extractors = new Map<string, (e: SyscallEvent) => FieldValue | FieldValue[] | undefined>();

  constructor(
    readonly rules: readonly CompiledRule[],
    readonly ruleMatching: 'first' | 'all',
    private readonly ctx: FieldContext,
    readonly version?: string,
  ) {
    this.anyType = rules.filter((r) => r.evttypes === 'all');
    const types = new Set<string>();
    for (const r of rules) if (r.evttypes !== 'all') for (const t of r.evttypes) types.add(t);
    for (const t of types) {
      this.byType.set(t, rules.filter((r) => r.evttypes === 'all' || r.evttypes.has(t)));
    }
  }

  evaluate(evt: SyscallEvent): CompiledRule[] {
    this.counters.events++;
    const candidates = this.byType.get(evt.type) ?? this.anyType;
    if (candidates.length === 0) return EMPTY;
    let out: CompiledRule[] | undefined;
    for (let i = 0; i < candidates.length; i++) {
      const r = candidates[i]!;
      this.counters.evaluations++;
      let ok = false;
      try {
        ok = r.match(evt);
      } catch {
        this.counters.errors++;
      }
      if (ok) {
        this.counters.matches++;
        this.counters.byRule.set(r.name, (this.counters.byRule.get(r.name) ?? 0) + 1);
        if (this.ruleMatching === 'first') return [r];
        (out ??= []).push(r);
      }
    }
    return out ?? EMPTY;
  }

  eventTypes(): Set<string> | 'all' {
    if (this.anyType.length > 0) return 'all';
    return new Set(this.byType.keys());
  }

  fieldsUsed(): string[] {
    const s = new Set<string>();
    for (const r of this.rules) for (const f of r.fields) s.add(f);
    return [...s].sort();
  }

  extract(evt: SyscallEvent, fields: string[] = this.fieldsUsed()): Record<string, string | number | boolean | null> {
    const o: Record<string, string | number | boolean | null> = {};
    for (const f of fields) o[f] = fieldValueWith(f, evt, this.ctx, this.extractors);
    return o;
  }
}

function toOutputValue(v: FieldValue | FieldValue[] | undefined): string | number | boolean | null {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.length ? v.map((x) => String(toOutputValue(x))).join(',') : null;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('latin1');
  return v;
}

function fieldValueWith(
  name: string,
  evt: SyscallEvent,
  ctx: FieldContext,
  cache: Map<string, (e: SyscallEvent) => FieldValue | FieldValue[] | undefined>,
): string | number | boolean | null {
  let get = cache.get(name);
  if (!get) {
    get = bindField(parseField(name), ctx).get;
    cache.set(name, get);
  }
  try {
    return toOutputValue(get(evt));
  } catch {
    return null;
  }
}

const defaultCache = new Map<string, (e: SyscallEvent) => FieldValue | FieldValue[] | undefined>();

/**
 * The value of one field (`proc.name`, `proc.aname[2]`, `evt.arg.flags`) for
 * an event, typed as in output_fields; null when missing. Throws on an
 * unknown field name.
 */
export function fieldValue(name: string, evt: SyscallEvent, hostname = ''): string | number | boolean | null {
  return fieldValueWith(name, evt, { hostname }, defaultCache);
}

/** Loads rule files stacked in order, with Falco's semantics. */
export function loadRuleFiles(
  files: { name: string; content: string }[],
  opts: LoadOptions = {},
): { ruleset: Ruleset | undefined; results: FileLoadResult[]; positions?: false } {
  const ctx: FieldContext = { hostname: opts.hostname ?? '', resolveHost: opts.resolveHost };
  const { rules, results, positions } = loadFiles(files, ctx, opts.positions);
  if (results.some((r) => !r.successful)) return { ruleset: undefined, results, ...(positions === false ? { positions } : {}) };
  const minRank = PRIORITIES.indexOf(opts.priorityMin ?? 'Debug');
  const enabled = rules.filter((r) => r.enabled && PRIORITIES.indexOf(r.priority) <= minRank);
  return {
    ruleset: new RulesetImpl(enabled, opts.ruleMatching ?? 'first', ctx, ruleSetVersion(files)),
    results,
    ...(positions === false ? { positions } : {}),
  };
}

/**
 * loadRuleFiles, with messages that carry lines and columns: when a load has
 * something to report and the position-keeping parser is not loaded yet, it
 * is loaded (the `yaml` package, kept out of the agent's start-up) and the
 * files are read again.
 */
export async function loadRuleFilesReporting(
  files: { name: string; content: string }[],
  opts: LoadOptions = {},
): Promise<{ ruleset: Ruleset | undefined; results: FileLoadResult[] }> {
  const first = loadRuleFiles(files, opts);
  if (first.positions !== false) return first;
  const { parseWithPositions } = await import('./yaml-positions.js');
  return loadRuleFiles(files, { ...opts, positions: parseWithPositions });
}

/** A Falco JSON alert for a rule that matched an event. */
export function formatAlert(rule: CompiledRule, evt: SyscallEvent, hostname: string, fmt: AlertFormat = {}): FalcoAlert {
  return formatAlertImpl(rule, evt, hostname, fmt);
}

export { defaultRulesPath } from './default-path.js';
export { ruleSetVersion } from './version.js';
export { readRulesFile, MAX_RULES_FILE_BYTES } from './files.js';

/**
 * Validates a rule set with the same engine that will run it (parse, list
 * and macro resolution, expansion bounds, compile), without keeping it: for
 * the orchestrator, before it pushes a set. `errors` are one-line strings
 * (file, message, item, code); `results` are falco -V's per-file results.
 * Never throws.
 */
export function validateRuleSet(files: { name: string; content: string }[], positions?: PositionParser): { ok: boolean; errors: string[]; warnings: number; rules: number; results: FileLoadResult[] } {
  const { rules, results } = loadFiles(files, { hostname: '' }, positions);
  const errors = describeLoadErrors(results);
  return { ok: results.every((r) => r.successful), errors, warnings: results.reduce((n, r) => n + r.warnings.length, 0), rules: rules.length, results };
}
