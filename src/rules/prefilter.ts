// The open pre-filter, compiled from the rules: a necessary condition on the
// path an open (open, openat, creat) names, for any rule to care about the
// open or, later, about the fd it returns. The tracer checks it at the open's
// entry stop (native/prefilter.h): an open outside it is resumed without its
// exit stop and makes no record, and its fd stays unknown to the state.
//
// Every step over-approximates: a glob becomes its literal prefix, an `and`
// keeps the constraint of one of its operands, and a rule whose condition
// does not constrain the path (or the fd's type, for rules on events that
// read the fd table) turns the filter off. So the filter can cost a stop,
// never an alert.
import { inferEventTypes } from './compiler.js';
import type { Expr, FieldExpr, ValueExpr } from './parser.js';
import type { CompiledRule } from './loader.js';
import { readsFdTable, syscallsWith, SYSCALLS } from '../model/syscalls.js';

export interface PathPattern {
  kind: 'exact' | 'prefix' | 'suffix' | 'contains';
  value: string;
  /** Only opens for writing (evt.is_open_write: O_WRONLY, O_RDWR, creat) can match. */
  write?: true;
}

/** The opens (`open` role of the syscall table). */
const OPEN_TYPES = new Set(syscallsWith('open'));

/**
 * Event types whose fd comes from the state's fd table (readsFdTable in the
 * syscall table, as src/state/builder.ts reads it): a rule on them that
 * reads fd.* could see an fd a skipped open returned.
 */
const FD_TABLE_TYPES = new Set(SYSCALLS.filter(readsFdTable).map((r) => r.name));

/** fd.type / fd.typechar values an open can give its fd. */
const FILE_TYPES = new Set(['file', 'directory', 'f', 'd']);

/** A disjunction: the path matches one pattern, or (notFile) the fd is of a non-file type. */
interface Necessary {
  paths: PathPattern[];
  notFile: boolean;
}
type Result = Necessary | null | 'never'; // null: no constraint known

export interface OpenPathFilter {
  /** null: some rule may care about any open (every open keeps its exit stop). */
  patterns: PathPattern[] | null;
  /** The first rule that turned the filter off, and on which event type. */
  disabledBy?: { rule: string; evtType: string };
}

/** The pre-filter for a rule set (the rules in force, enabled). */
export function openPathFilter(rules: readonly CompiledRule[]): OpenPathFilter {
  const out = new Map<string, PathPattern>();
  const add = (p: PathPattern) => out.set(`${p.kind}:${p.write ? 'w' : ''}:${p.value}`, p);
  const memo = new WeakMap<Expr, Set<string> | 'all'>();
  for (const r of rules) {
    // Fields over the whole fd table (fd.types, fd.types[N], proc.fdopencount)
    // would see a skipped open's fd missing, on any event.
    const whole = r.fields.find((f) => f.startsWith('fd.types') || f === 'proc.fdopencount');
    if (whole) return { patterns: null, disabledBy: { rule: r.name, evtType: `any (${whole})` } };
    const types = r.evttypes;
    const opens = types === 'all' ? [...OPEN_TYPES] : [...types].filter((t) => OPEN_TYPES.has(t));
    for (const t of opens) {
      const n = necessary(r.tree, t, memo);
      if (n === 'never') continue;
      if (n === null || (n.paths.length === 0 && !n.notFile)) return { patterns: null, disabledBy: { rule: r.name, evtType: t } };
      // an opened fd is a file or a directory: `notFile` cannot hold on an open
      const write = writesOnly(r.tree, t, memo);
      for (const p of n.paths) add(write ? { ...p, write: true } : p);
    }
    if (!r.fields.some((f) => f.startsWith('fd.') && f !== 'fd.num')) continue;
    const consumers = types === 'all' ? [...FD_TABLE_TYPES] : [...types].filter((t) => FD_TABLE_TYPES.has(t));
    for (const t of consumers) {
      const n = necessary(r.tree, t, memo);
      if (n === 'never') continue;
      if (n === null) return { patterns: null, disabledBy: { rule: r.name, evtType: t } };
      for (const p of n.paths) add(p);
    }
  }
  return { patterns: [...out.values()] };
}

const EXEC_TYPES = syscallsWith('exec');

/**
 * Whether the tracer must stop at an exec's entry. A successful exec is seen
 * whole at its exec event (new image, argv, exe, cwd, credentials), one stop
 * instead of two; a failed one is only seen through its entry and exit. So
 * the entry stop is needed when some rule may match an exec that failed, or
 * reads what only the entry has (evt.arg.filename and other arguments).
 */
export function execEntryNeeded(rules: readonly CompiledRule[]): { needed: boolean; rule?: string } {
  const memo = new WeakMap<Expr, Set<string> | 'all'>();
  for (const r of rules) {
    for (const t of EXEC_TYPES) {
      if (!possible(r.tree, t, memo)) continue;
      if (r.fields.some((f) => f.startsWith('evt.arg') && f !== 'evt.arg.res' && f !== 'evt.arg[0]')) return { needed: true, rule: r.name };
      if (!successOnly(r.tree, t, memo)) return { needed: true, rule: r.name };
    }
  }
  return { needed: false };
}

/** Whether every event of type `t` satisfying `e` succeeded (evt.res = SUCCESS and the like). */
function successOnly(e: Expr, t: string, memo: WeakMap<Expr, Set<string> | 'all'>): boolean {
  if (!possible(e, t, memo)) return true; // vacuous: nothing of type t gets here
  switch (e.kind) {
    case 'and':
      return e.children.some((c) => successOnly(c, t, memo));
    case 'or':
      return e.children.every((c) => successOnly(c, t, memo));
    case 'binary': {
      if (e.field.kind !== 'field' || e.field.arg !== undefined || e.modifier || e.value.kind !== 'value') return false;
      const { name } = e.field;
      const v = e.value.value;
      const eq = e.op === '=' || e.op === '==';
      if ((name === 'evt.res' || name === 'evt.arg.res') && eq) return v === 'SUCCESS' || v === '0';
      if (name === 'evt.rawres') return (eq && v === '0') || (e.op === '>=' && v === '0');
      if (name === 'evt.failed') return eq && v === 'false';
      return false;
    }
    default:
      return false;
  }
}

function possible(e: Expr, t: string, memo: WeakMap<Expr, Set<string> | 'all'>): boolean {
  let types = memo.get(e);
  if (types === undefined) {
    types = inferEventTypes(e);
    memo.set(e, types);
  }
  return types === 'all' || types.has(t);
}

/** What every event of type `t` that satisfies `e` satisfies. */
function necessary(e: Expr, t: string, memo: WeakMap<Expr, Set<string> | 'all'>): Result {
  if (!possible(e, t, memo)) return 'never';
  switch (e.kind) {
    case 'and': {
      let best: Necessary | null = null;
      for (const c of e.children) {
        const n = necessary(c, t, memo);
        if (n === 'never') return 'never';
        if (n !== null && (best === null || weight(n) < weight(best))) best = n;
      }
      return best;
    }
    case 'or': {
      const acc: Necessary = { paths: [], notFile: false };
      let some = false;
      for (const c of e.children) {
        const n = necessary(c, t, memo);
        if (n === 'never') continue;
        if (n === null) return null;
        // a loop, not push(...): a 100k-item list would overflow the stack
        for (const x of n.paths) acc.paths.push(x);
        acc.notFile ||= n.notFile;
        some = true;
      }
      return some ? acc : 'never';
    }
    case 'binary':
      return atom(e.field, e.op, e.value, e.modifier !== undefined, OPEN_TYPES.has(t));
    default:
      return null; // not, exists, macros (expanded already): no positive constraint
  }
}

/** Whether every event of type `t` satisfying `e` is an open for writing. */
function writesOnly(e: Expr, t: string, memo: WeakMap<Expr, Set<string> | 'all'>): boolean {
  if (!possible(e, t, memo)) return true; // vacuous: nothing of type t gets here
  switch (e.kind) {
    case 'and':
      return e.children.some((c) => writesOnly(c, t, memo));
    case 'or':
      return e.children.every((c) => writesOnly(c, t, memo));
    case 'binary':
      return (
        e.field.kind === 'field' && e.field.name === 'evt.is_open_write' && e.field.arg === undefined && !e.modifier &&
        (e.op === '=' || e.op === '==') && e.value.kind === 'value' && e.value.value === 'true'
      );
    default:
      return false;
  }
}

/**
 * How much a constraint lets through, roughly: an exact path almost nothing,
 * a prefix, suffix or substring the less the longer it is (`/etc/` lets the
 * dynamic loader's /etc/ld.so.cache and every /etc/hosts read through). An
 * `and` keeps its tightest operand.
 */
function weight(n: Necessary): number {
  let w = n.notFile ? 0.5 : 0;
  for (const p of n.paths) w += p.kind === 'exact' ? 1 : 1000 / Math.max(1, p.value.length);
  return w;
}

function atom(field: FieldExpr, op: string, value: ValueExpr, modified: boolean, opening: boolean): Necessary | null {
  if (field.kind !== 'field' || field.arg !== undefined || modified || value.kind === 'fieldref') return null;
  const values = value.kind === 'list' ? value.values.map((v) => v.value) : [value.value];
  const single = value.kind === 'value';
  const paths = (kind: PathPattern['kind'], vs: string[]): Necessary => ({ paths: vs.map((v) => ({ kind, value: v })), notFile: false });
  // An open's `name` argument is the path as passed: only opens of clean
  // absolute paths are ever skipped, and for those it is fd.name (and nameraw).
  const isPath = field.name === 'fd.name' || field.name === 'fd.nameraw' || (opening && field.name === 'evt.arg.name');
  if (isPath) {
    if ((op === '=' || op === '==') && single) return paths('exact', values);
    if (op === 'in') return paths('exact', values);
    if (op === 'startswith' && single) return paths('prefix', values);
    if (op === 'endswith' && single) return paths('suffix', values);
    if (op === 'contains' && single) return paths('contains', values);
    if (op === 'pmatch') return paths('prefix', values);
    if (op === 'glob' && single) {
      const lit = globPrefix(values[0]!);
      return lit ? paths('prefix', [lit]) : null;
    }
    return null;
  }
  switch (field.name) {
    case 'fd.directory': {
      const under = (d: string) => (d.endsWith('/') ? d : `${d}/`);
      if (((op === '=' || op === '==') && single) || op === 'in') return paths('prefix', values.map(under));
      if (op === 'startswith' && single) return paths('prefix', values);
      return null;
    }
    case 'fd.filename':
      if (((op === '=' || op === '==') && single) || op === 'in') return paths('suffix', values.map((v) => `/${v}`));
      if (op === 'endswith' && single) return paths('suffix', values);
      if ((op === 'startswith' || op === 'contains') && single) return paths('contains', values);
      return null;
    case 'fd.type':
    case 'fd.typechar':
      if (((op === '=' || op === '==') && single) || op === 'in') {
        return values.some((v) => FILE_TYPES.has(v)) ? null : { paths: [], notFile: true };
      }
      return null;
    default:
      return null;
  }
}

/** The literal start of a glob, up to its first wildcard or escape. */
function globPrefix(glob: string): string {
  const i = glob.search(/[*?[\\]/);
  return i < 0 ? glob : glob.slice(0, i);
}
