// From a condition tree to a plain JavaScript predicate, once per rule:
// macro expansion, field resolution, constant parsing and operator
// selection all happen here, so the per-event work is field extraction
// and one comparison per check. Also infers the evt.type set a condition
// can match, so the ruleset can index rules by event type.

import type { SyscallEvent } from '../events/model.js';
import { FALCO_SYSCALL_NAMES } from '../events/schema.js';
import { compileNet, resolveField, type Extractor, type FieldContext, type FieldType, type FieldValue } from './fields.js';
import { globToRegExp } from './glob.js';
import { fieldAsString, type BinaryOp, type Expr, type FieldExpr, type ValueExpr } from './parser.js';

export type Predicate = (e: SyscallEvent) => boolean;

export class CompileError extends Error {
  constructor(
    message: string,
    /** Set when the error is an unknown field (skip-if-unknown-filter applies). */
    readonly unknownField?: string,
  ) {
    super(message);
  }
}

// ---------- macros ----------

/** Replaces macro references by their (already expanded) trees. */
export function expandMacros(e: Expr, lookup: (name: string) => Expr | undefined, used?: Set<string>): Expr {
  switch (e.kind) {
    case 'and':
    case 'or':
      return { kind: e.kind, children: e.children.map((c) => expandMacros(c, lookup, used)) };
    case 'not':
      return { kind: 'not', child: expandMacros(e.child, lookup, used) };
    case 'macro': {
      const m = lookup(e.name);
      if (!m) throw new CompileError(`Undefined macro '${e.name}' used in filter.`);
      used?.add(e.name);
      return m;
    }
    default:
      return e;
  }
}

// ---------- fields ----------

interface BoundField {
  get: Extractor;
  type: FieldType;
  list: boolean;
  /** A list field in Falco's sense (EPF_IS_LIST, fd.types): only in/intersects/exists. */
  falcoList?: boolean;
  subsetIn: boolean;
  neAll: boolean;
  /** Set for proc.aX without index (any ancestor from the parent up). */
  ancestorValue?: (p: import('../events/model.js').ProcessInfo) => FieldValue | undefined;
  hostnameCompare?: boolean;
  text: string;
}

export function bindField(f: FieldExpr, ctx: FieldContext): BoundField {
  if (f.kind === 'transform') {
    const inner = bindField(f.child, ctx);
    // The types each transformer takes (libsinsp's sinsp_filter_transformer):
    // strings for all; buffers for b64 and len; any list for len.
    const ok = inner.type === 'string' || (inner.type === 'bytes' && (f.fn === 'b64' || f.fn === 'len')) || (inner.falcoList === true && f.fn === 'len');
    if (!ok) throw new CompileError(`transformer '${f.fn}' is not supported for the type of field ${inner.text}`);
    const g = inner.get;
    if (f.fn === 'len' && inner.falcoList) {
      // len of a list field is its number of values
      const get: Extractor = (e) => {
        const v = g(e);
        return v === undefined ? 0 : Array.isArray(v) ? v.length : 1;
      };
      return { get, type: 'uint', list: false, subsetIn: false, neAll: false, text: fieldAsString(f) };
    }
    const fn = transformer(f.fn);
    const get: Extractor = (e) => {
      const v = g(e);
      if (v === undefined) return undefined;
      if (Array.isArray(v)) return v.map(fn);
      return fn(v);
    };
    return { ...inner, get, type: f.fn === 'len' ? 'uint' : inner.type === 'bytes' ? 'bytes' : 'string', falcoList: f.fn === 'len' ? false : inner.falcoList, text: fieldAsString(f) };
  }
  if (f.kind === 'multi') return bindMulti(f, ctx);
  const r = resolveField(f.name, f.arg);
  if (!r) throw new CompileError(`filter_check called with nonexistent field ${f.name}`, f.name);
  if (r.def.argMode === 'required' && (r.arg === undefined || r.arg === '')) {
    throw new CompileError(`filter_check called with nonexistent field ${f.name}`, f.name);
  }
  const get = r.def.bind(r.arg, ctx);
  if (typeof get === 'string') throw new CompileError(`${get} (field ${fieldAsString(f)})`);
  const isList = r.def.list === true && (r.arg === undefined || r.arg === '');
  const ancestorValue = isList ? r.def.ancestorValue : undefined;
  return { get, ancestorValue, type: r.def.type, list: isList, falcoList: r.def.falcoList === true && isList, subsetIn: r.def.subsetIn === true, neAll: r.def.neAll === true, hostnameCompare: r.def.hostnameCompare === true, text: fieldAsString(f) };
}

/**
 * join(sep, list), concat(a, b, ...), getopt(list, optstring)[c]: libsinsp's
 * multi-value transformers, with its argument checks and messages. An
 * argument is a field or a quoted literal; a missing argument value makes
 * the whole value missing.
 */
function bindMulti(f: Extract<FieldExpr, { kind: 'multi' }>, ctx: FieldContext): BoundField {
  const text = fieldAsString(f);
  const args = f.args.map((a) => {
    if (a.kind === 'literal') {
      const v = a.value;
      return { get: (() => v) as Extractor, type: 'string' as FieldType, falcoList: false };
    }
    const b = bindField(a, ctx);
    return { get: b.get, type: b.type, falcoList: b.falcoList === true };
  });
  const fail = (m: string): never => {
    throw new CompileError(m);
  };
  const one = (e: SyscallEvent, i: number): string | undefined => {
    const v = args[i]!.get(e);
    if (v === undefined) return undefined;
    const x = Array.isArray(v) ? v[0] : v;
    return x === undefined ? undefined : valueString(x);
  };
  const many = (e: SyscallEvent, i: number): string[] | undefined => {
    const v = args[i]!.get(e);
    if (v === undefined) return undefined;
    return (Array.isArray(v) ? v : [v]).map(valueString);
  };
  const scalar = (get: Extractor): BoundField => ({ get, type: 'string', list: false, subsetIn: false, neAll: false, text });
  if (f.fn !== 'getopt' && f.arg !== undefined) fail(`transformer '${f.fn}' does not support field arguments`);
  if (f.fn === 'join') {
    if (args.length !== 2) fail('join() requires exactly 2 arguments: separator and list');
    if (args[0]!.falcoList) fail('join() first argument (separator) must be a single value, not a list');
    if (!args[1]!.falcoList) fail('join() second argument must be a list');
    return scalar((e) => {
      const sep = one(e, 0);
      const vs = many(e, 1);
      return sep === undefined || vs === undefined ? undefined : vs.join(sep);
    });
  }
  if (f.fn === 'concat') {
    if (args.length < 2) fail('concat() requires at least 2 arguments');
    if (args.some((a) => a.type !== 'string' || a.falcoList)) fail('concat() arguments must be strings');
    return scalar((e) => {
      let out = '';
      for (let i = 0; i < args.length; i++) {
        const v = one(e, i);
        if (v === undefined) return undefined;
        out += v;
      }
      return out;
    });
  }
  // getopt
  if (args.length !== 2) fail('getopt() requires exactly 2 arguments: args list and optstring');
  if (!args[0]!.falcoList) fail('getopt() first argument must be a list');
  if (args[1]!.falcoList) fail('getopt() second argument (optstring) must be a single value');
  if (args[0]!.type !== 'string' || args[1]!.type !== 'string') fail('getopt() arguments must be strings');
  if (f.arg !== undefined && f.arg.length !== 1) fail('getopt() field argument must be a single option character');
  const selector = f.arg;
  const get: Extractor = (e) => {
    const optstring = one(e, 1);
    const argv = many(e, 0);
    if (optstring === undefined || argv === undefined) return undefined;
    const r = getopt(argv, optstring, selector);
    return r === undefined ? undefined : selector !== undefined ? r[0] : r;
  };
  return selector !== undefined
    ? scalar(get)
    : { get, type: 'string', list: true, falcoList: true, subsetIn: false, neAll: false, text };
}

/**
 * getopt(3)'s scan of argv as libsinsp's transformer does it: stops at `--`
 * or the first non-option, skips long options, expands clusters (`-nt`),
 * takes an option's value from the rest of the token or the next one.
 * Without a selector: option, value, option, ... ('?' for an unknown one);
 * with one: the last value (or the option itself) of that option, '' when
 * its value is missing, undefined when it does not appear.
 */
export function getopt(argv: string[], optstring: string, selector?: string): string[] | undefined {
  const valid = new Set<string>();
  const withArg = new Set<string>();
  for (let i = optstring.startsWith(':') ? 1 : 0; i < optstring.length; i++) {
    const c = optstring[i]!;
    if (c === ':') continue;
    valid.add(c);
    if (optstring[i + 1] === ':') {
      withArg.add(c);
      i++;
    }
  }
  const out: string[] = [];
  let selected: string | undefined;
  for (let a = 0; a < argv.length; a++) {
    const tok = argv[a]!;
    if (tok === '--') break;
    if (tok.length > 2 && tok.startsWith('--')) continue;
    if (tok.length < 2 || tok[0] !== '-') break;
    for (let i = 1; i < tok.length; i++) {
      const c = tok[i]!;
      if (!valid.has(c)) {
        if (selector === undefined) out.push('?');
        continue;
      }
      const match = selector === undefined || c === selector;
      if (!withArg.has(c)) {
        if (match) selector === undefined ? out.push(c) : (selected = c);
        continue;
      }
      let value: string | undefined;
      if (i + 1 < tok.length) value = tok.slice(i + 1);
      else if (a + 1 < argv.length) value = argv[++a];
      if (value === undefined) {
        if (match) selector === undefined ? out.push('') : (selected = '');
      } else if (match) {
        if (selector === undefined) out.push(c, value);
        else selected = value;
      }
      break;
    }
  }
  if (selector !== undefined) return selected === undefined ? undefined : [selected];
  return out;
}

function transformer(fn: string): (v: FieldValue) => FieldValue {
  switch (fn) {
    case 'tolower':
      return (v) => String(v).toLowerCase();
    case 'toupper':
      return (v) => String(v).toUpperCase();
    case 'b64':
      return (v) => Buffer.from(String(v), 'base64').toString('latin1');
    case 'basename':
      return (v) => {
        const s = String(v);
        const i = s.lastIndexOf('/');
        return i < 0 ? s : s.slice(i + 1);
      };
    default: // len
      return (v) => (v instanceof Uint8Array ? v.length : String(v).length);
  }
}

export const NUMERIC_TYPES = new Set<FieldType>(['int', 'uint', 'port', 'reltime', 'abstime']);

/** A number as libsinsp reads one: [+-]digits[.digits][e[+-]digits], or 0x hex. */
export function toNumber(s: string): number {
  if (/^[-+]?0x[0-9a-f]+$/i.test(s)) return s.startsWith('-') ? -parseInt(s.slice(1), 16) : parseInt(s.replace(/^\+/, ''), 16);
  return /^[-+]?[0-9]+\.?[0-9]*([eE][-+]?[0-9]+)?$/.test(s) ? Number(s) : NaN;
}

function hexToBytes(s: string): Buffer {
  const clean = s.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new CompileError(`bcontains/bstartswith value '${s}' is not a hex string`);
  }
  return Buffer.from(clean, 'hex');
}

function valueString(v: FieldValue): string {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('latin1');
  return String(v);
}

function pmatchPaths(paths: string[]): (v: string) => boolean {
  const norm = paths.map((p) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p));
  return (v) => {
    for (const p of norm) {
      if (v === p) return true;
      if (p === '/' ? v.startsWith('/') : v.startsWith(p) && v.charCodeAt(p.length) === 47) return true;
    }
    return false;
  };
}

/** A predicate over one (present) value against one constant, for scalar ops. */
export function scalarPredicate(op: BinaryOp, type: FieldType, c: string, field: string): (v: FieldValue) => boolean {
  if (NUMERIC_TYPES.has(type)) {
    const n = toNumber(c);
    if (Number.isNaN(n)) throw new CompileError(`could not parse '${c}' as a number for field ${field}`);
    switch (op) {
      case '=':
      case '==':
        return (v) => Number(v) === n;
      case '!=':
        return (v) => Number(v) !== n;
      case '<':
        return (v) => Number(v) < n;
      case '<=':
        return (v) => Number(v) <= n;
      case '>':
        return (v) => Number(v) > n;
      case '>=':
        return (v) => Number(v) >= n;
      default: {
        const sp = stringPredicate(op, c, field);
        return (v) => sp(String(v));
      }
    }
  }
  if (type === 'bool') {
    const b = c === 'true' || c === '1' ? true : c === 'false' || c === '0' ? false : undefined;
    if (b === undefined) throw new CompileError(`could not parse '${c}' as a boolean for field ${field}`);
    if (op === '=' || op === '==') return (v) => v === b;
    if (op === '!=') return (v) => v !== b;
    throw new CompileError(`operator '${op}' not supported by boolean field ${field}`);
  }
  if (type === 'ipnet' && (op === '=' || op === '==' || op === '!=')) {
    const inNet = compileNet(c);
    const eq = (v: FieldValue) => inNet(String(v));
    return op === '!=' ? (v) => !eq(v) : eq;
  }
  if (op === 'bcontains' || op === 'bstartswith') {
    const needle = hexToBytes(c);
    return (v) => {
      const buf = v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : Buffer.from(String(v), 'latin1');
      return op === 'bcontains' ? buf.includes(needle) : buf.subarray(0, needle.length).equals(needle);
    };
  }
  if ((op === '<' || op === '<=' || op === '>' || op === '>=') && type === 'string') {
    // strings compare as libsinsp's strcmp does (byte order)
    const cb = Buffer.from(c, 'utf8');
    return (v) => {
      const r = Buffer.compare(Buffer.from(valueString(v), 'utf8'), cb);
      return op === '<' ? r < 0 : op === '<=' ? r <= 0 : op === '>' ? r > 0 : r >= 0;
    };
  }
  if (op === '<' || op === '<=' || op === '>' || op === '>=') {
    const n = toNumber(c);
    return (v) => {
      const x = toNumber(valueString(v));
      return op === '<' ? x < n : op === '<=' ? x <= n : op === '>' ? x > n : x >= n;
    };
  }
  const sp = stringPredicate(op, c, field);
  return (v) => sp(typeof v === 'string' ? v : valueString(v));
}

function stringPredicate(op: BinaryOp, c: string, field: string): (v: string) => boolean {
  switch (op) {
    case '=':
    case '==':
      return (v) => v === c;
    case '!=':
      return (v) => v !== c;
    case 'contains':
      return (v) => v.includes(c);
    case 'icontains': {
      const lc = c.toLowerCase();
      return (v) => v.toLowerCase().includes(lc);
    }
    case 'startswith':
      return (v) => v.startsWith(c);
    case 'endswith':
      return (v) => v.endsWith(c);
    case 'glob': {
      const re = globToRegExp(c, false);
      return (v) => re.test(v);
    }
    case 'iglob': {
      const re = globToRegExp(c, true);
      return (v) => re.test(v);
    }
    case 'regex': {
      let re: RegExp;
      try {
        re = new RegExp('^(?:' + c + ')$', 's');
      } catch (err) {
        throw new CompileError(`invalid regular expression '${c}': ${(err as Error).message}`);
      }
      return (v) => re.test(v);
    }
    case 'pmatch':
      return pmatchPaths([c]);
    default:
      throw new CompileError(`operator '${op}' not supported by field ${field}`);
  }
}

export function constValues(v: ValueExpr): string[] {
  return v.kind === 'list' ? v.values.map((x) => x.value) : v.kind === 'value' ? [v.value] : [];
}

/** A predicate over one value for list operators (in, intersects, pmatch) and modifiers. */
export function listPredicate(op: BinaryOp, type: FieldType, values: string[], field: string, modifier: string | undefined): (v: FieldValue) => boolean {
  if (modifier) {
    // Per element of the list (libsinsp): oneof = exactly one holds, anyof =
    // at least one, allof = every one; all are false on an empty list.
    const preds = values.map((c) => scalarPredicate(op, type, c, field));
    if (preds.length === 0) return () => false;
    if (modifier === 'allof') return (v) => preds.every((p) => p(v));
    if (modifier === 'oneof') {
      return (v) => {
        let n = 0;
        for (let i = 0; i < preds.length; i++) if (preds[i]!(v) && ++n > 1) return false;
        return n === 1;
      };
    }
    return (v) => preds.some((p) => p(v));
  }
  if (op === 'pmatch') {
    const pm = pmatchPaths(values);
    return (v) => pm(valueString(v));
  }
  if (NUMERIC_TYPES.has(type)) {
    const nums = values.map(toNumber);
    const bad = values.find((_, i) => Number.isNaN(nums[i]));
    if (bad !== undefined) throw new CompileError(`could not parse '${bad}' as a number for field ${field}`);
    const set = new Set(nums);
    return (v) => set.has(Number(v));
  }
  if (type === 'ipnet') {
    const nets = values.map(compileNet);
    return (v) => {
      const s = String(v);
      for (let i = 0; i < nets.length; i++) if (nets[i]!(s)) return true;
      return false;
    };
  }
  if (type === 'bool') {
    const preds = values.map((c) => scalarPredicate('=', type, c, field));
    return (v) => preds.some((p) => p(v));
  }
  if (values.length <= 4) {
    return (v) => {
      const s = valueString(v);
      for (let i = 0; i < values.length; i++) if (values[i] === s) return true;
      return false;
    };
  }
  const set = new Set(values);
  return (v) => set.has(typeof v === 'string' ? v : valueString(v));
}

// The operators each kind of field takes (libsinsp's flt_is_comparable), and
// the words of its error.
const OPS_BY_KIND: Record<string, { ops: Set<string>; what: string }> = {
  numeric: { ops: new Set(['=', '==', '!=', '<', '<=', '>', '>=', 'in', 'intersects']), what: 'numeric filters' },
  bool: { ops: new Set(['=', '==', '!=', 'in', 'intersects']), what: 'numeric filters' },
  ip: { ops: new Set(['=', '==', '!=', 'in', 'intersects']), what: 'ip address and network filters' },
  string: {
    ops: new Set(['=', '==', '!=', '<', '<=', '>', '>=', 'contains', 'icontains', 'startswith', 'endswith', 'glob', 'iglob', 'regex', 'pmatch', 'in', 'intersects']),
    what: 'string filters',
  },
  buffer: { ops: new Set(['=', '==', '!=', 'contains', 'startswith', 'endswith', 'in', 'intersects', 'bcontains', 'bstartswith']), what: 'buffer filters' },
  list: { ops: new Set(['in', 'intersects']), what: 'list filters' },
};

function kindOf(type: FieldType): string {
  if (NUMERIC_TYPES.has(type)) return 'numeric';
  if (type === 'bool') return 'bool';
  if (type === 'ipaddr' || type === 'ipnet') return 'ip';
  if (type === 'bytes') return 'buffer';
  return 'string';
}

/** Throws CompileError when the field's type does not take the operator, with libsinsp's words. */
export function checkOperator(op: BinaryOp, f: { type: FieldType; falcoList?: boolean; text: string }): void {
  const k = OPS_BY_KIND[f.falcoList ? 'list' : kindOf(f.type)]!;
  if (!k.ops.has(op)) {
    throw new CompileError(f.falcoList ? `'${op}' operator not supported list filters` : `'${op}' operator not supported for ${k.what}`);
  }
}

export function compileBinary(e: Extract<Expr, { kind: 'binary' }>, ctx: FieldContext): Predicate {
  const f = bindField(e.field, ctx);
  checkOperator(e.op, f);
  const get = f.get;
  if (e.value.kind === 'fieldref') {
    const r = bindField(e.value.field, ctx);
    const rget = r.get;
    const op = e.op;
    const numeric = NUMERIC_TYPES.has(f.type);
    return (ev) => {
      const a = get(ev);
      const b = rget(ev);
      if (a === undefined || b === undefined || Array.isArray(b)) return false;
      const bs = valueString(b);
      const pred = scalarPredicate(op, numeric ? f.type : 'string', bs, f.text);
      return Array.isArray(a) ? a.some(pred) : pred(a);
    };
  }
  const isListOp = e.op === 'in' || e.op === 'intersects' || e.op === 'pmatch' || e.modifier !== undefined;
  if (!isListOp && e.value.kind === 'list') throw new CompileError(`operator '${e.op}' does not take a list`);
  if (isListOp && e.value.kind !== 'list') throw new CompileError(`operator '${e.op}' requires a list`);
  let values = constValues(e.value);
  if (f.hostnameCompare && ['=', '==', '!=', 'in'].includes(e.op) && !e.modifier) {
    // fd.sip.name = host: the server IP compared with the host's addresses.
    const ips = new Set(values.flatMap((h) => ctx.resolveHost?.(h) ?? []));
    const neg = e.op === '!=';
    return (ev) => {
      const v = get(ev);
      return v !== undefined && !Array.isArray(v) && ips.has(String(v)) !== neg;
    };
  }
  const pred = isListOp ? listPredicate(e.op, f.type, values, f.text, e.modifier) : scalarPredicate(e.op, f.type, values[0] ?? '', f.text);
  if (f.list) {
    if (e.op === '!=' && f.neAll) {
      // Either side: != holds when neither value is equal.
      const eq = scalarPredicate('=', f.type, values[0] ?? '', f.text);
      return (ev) => {
        const v = get(ev);
        if (v === undefined) return false;
        if (!Array.isArray(v)) return pred(v);
        if (v.length === 0) return false;
        for (let i = 0; i < v.length; i++) if (eq(v[i]!)) return false;
        return true;
      };
    }
    if (e.op === 'in' && f.subsetIn) {
      return (ev) => {
        const v = get(ev);
        if (v === undefined) return false;
        if (!Array.isArray(v)) return pred(v);
        if (v.length === 0) return false;
        for (let i = 0; i < v.length; i++) if (!pred(v[i]!)) return false;
        return true;
      };
    }
    return (ev) => {
      const v = get(ev);
      if (v === undefined) return false;
      if (!Array.isArray(v)) return pred(v);
      for (let i = 0; i < v.length; i++) if (pred(v[i]!)) return true;
      return false;
    };
  }
  return (ev) => {
    const v = get(ev);
    return v !== undefined && !Array.isArray(v) && pred(v);
  };
}

const TRUE: Predicate = () => true;
const FALSE: Predicate = () => false;

/**
 * For an `evt.type` check, its truth when the event's type is known to be
 * one of `types` (the rule's own evt.type set: the ruleset only hands the
 * rule such events). Returns undefined when it depends on the event.
 */
export function typeCheckConstant(e: Extract<Expr, { kind: 'binary' }>, types: Set<string> | undefined): boolean | undefined {
  if (!types || e.field.kind !== 'field' || e.field.name !== 'evt.type' || e.field.arg !== undefined) return undefined;
  if (e.value.kind === 'fieldref' || e.modifier) return undefined;
  if (e.op !== '=' && e.op !== '==' && e.op !== 'in' && e.op !== '!=') return undefined;
  const names = new Set(e.value.kind === 'list' ? e.value.values.map((v) => v.value) : [e.value.value]);
  let all = true;
  let none = true;
  for (const t of types) {
    if (names.has(t)) none = false;
    else all = false;
  }
  const eq = all ? true : none ? false : undefined;
  if (eq === undefined) return undefined;
  return e.op === '!=' ? !eq : eq;
}

/** Flattens nested and/or of the same kind: fewer closures per event. */
export function flatten(kind: 'and' | 'or', children: Expr[], out: Expr[] = []): Expr[] {
  for (const c of children) {
    if (c.kind === kind) flatten(kind, c.children, out);
    else out.push(c);
  }
  return out;
}

/**
 * Compiles a macro-expanded tree to a predicate. Throws CompileError.
 * With `types` (the rule's evt.type set), evt.type checks that the index
 * already guarantees are folded away.
 */
export function compileExpr(e: Expr, ctx: FieldContext, types?: Set<string>): Predicate {
  switch (e.kind) {
    case 'and': {
      const all = flatten('and', e.children).map((c) => compileExpr(c, ctx, types));
      if (all.includes(FALSE)) return FALSE;
      const cs = all.filter((c) => c !== TRUE);
      if (cs.length === 0) return TRUE;
      if (cs.length === 1) return cs[0]!;
      if (cs.length === 2) {
        const [a, b] = cs as [Predicate, Predicate];
        return (ev) => a(ev) && b(ev);
      }
      if (cs.length === 3) {
        const [a, b, c] = cs as [Predicate, Predicate, Predicate];
        return (ev) => a(ev) && b(ev) && c(ev);
      }
      return (ev) => {
        for (let i = 0; i < cs.length; i++) if (!cs[i]!(ev)) return false;
        return true;
      };
    }
    case 'or': {
      const all = flatten('or', e.children).map((c) => compileExpr(c, ctx, types));
      if (all.includes(TRUE)) return TRUE;
      const cs = all.filter((c) => c !== FALSE);
      if (cs.length === 0) return FALSE;
      if (cs.length === 1) return cs[0]!;
      if (cs.length === 2) {
        const [a, b] = cs as [Predicate, Predicate];
        return (ev) => a(ev) || b(ev);
      }
      if (cs.length === 3) {
        const [a, b, c] = cs as [Predicate, Predicate, Predicate];
        return (ev) => a(ev) || b(ev) || c(ev);
      }
      return (ev) => {
        for (let i = 0; i < cs.length; i++) if (cs[i]!(ev)) return true;
        return false;
      };
    }
    case 'not': {
      const c = compileExpr(e.child, ctx, types);
      if (c === TRUE) return FALSE;
      if (c === FALSE) return TRUE;
      return (ev) => !c(ev);
    }
    case 'exists': {
      const f = bindField(e.field, ctx);
      const get = f.get;
      return (ev) => {
        const v = get(ev);
        return v !== undefined && !(Array.isArray(v) && v.length === 0);
      };
    }
    case 'binary': {
      const k = typeCheckConstant(e, types);
      const p = compileBinary(e, ctx); // always compiled: validates the check
      return k === true ? TRUE : k === false ? FALSE : p;
    }
    case 'macro':
      throw new CompileError(`Undefined macro '${e.name}' used in filter.`);
  }
}

/** Every field (with argument) a tree uses; throws CompileError for an unknown one. */
export function checkFields(e: Expr, ctx: FieldContext): void {
  compileExpr(e, ctx);
}

// ---------- evt.type inference ----------

const UNIVERSE = new Set(FALCO_SYSCALL_NAMES);
/** Above this many event types a rule is treated as unrestricted (LOAD_NO_EVTTYPE). */
export const MAX_EVTTYPES = 100;

type TypeSet = Set<string> | null; // null: every event type

function union(a: TypeSet, b: TypeSet): TypeSet {
  if (a === null || b === null) return null;
  const s = new Set(a);
  for (const x of b) s.add(x);
  return s;
}
function intersect(a: TypeSet, b: TypeSet): TypeSet {
  if (a === null) return b === null ? null : new Set(b);
  if (b === null) return new Set(a);
  const s = new Set<string>();
  for (const x of a) if (b.has(x)) s.add(x);
  return s;
}
function complement(a: Set<string>): Set<string> {
  const s = new Set<string>();
  for (const x of UNIVERSE) if (!a.has(x)) s.add(x);
  return s;
}

/** For each node: the types where it may be true (t) and may be false (f). */
function infer(e: Expr): { t: TypeSet; f: TypeSet } {
  switch (e.kind) {
    case 'and': {
      let t: TypeSet = null;
      let f: TypeSet = new Set();
      for (const c of e.children) {
        const r = infer(c);
        t = intersect(t, r.t);
        f = union(f, r.f);
      }
      return { t, f };
    }
    case 'or': {
      let t: TypeSet = new Set();
      let f: TypeSet = null;
      for (const c of e.children) {
        const r = infer(c);
        t = union(t, r.t);
        f = intersect(f, r.f);
      }
      return { t, f };
    }
    case 'not': {
      const r = infer(e.child);
      return { t: r.f, f: r.t };
    }
    case 'binary': {
      if (e.field.kind === 'field' && e.field.name === 'evt.type' && e.field.arg === undefined && e.value.kind !== 'fieldref' && !e.modifier) {
        const names = e.value.kind === 'list' ? e.value.values.map((v) => v.value) : [e.value.value];
        for (const n of names) UNIVERSE.add(n);
        const s = new Set(names);
        if (e.op === '=' || e.op === '==' || e.op === 'in') return { t: s, f: complement(s) };
        if (e.op === '!=') return { t: complement(s), f: s };
      }
      return { t: null, f: null };
    }
    default:
      return { t: null, f: null };
  }
}

/** The evt.type set a (macro-expanded) condition can match, or 'all'. */
export function inferEventTypes(e: Expr): Set<string> | 'all' {
  const { t } = infer(e);
  if (t === null || t.size > MAX_EVTTYPES) return 'all';
  return t;
}
