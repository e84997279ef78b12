// Rule conditions as generated JavaScript: one function per rule, with
// and/or/not as native operators, evt.type and common string/number checks
// inlined, and every field extractor and predicate called from its own call
// site (monomorphic, so V8 can inline it). Same semantics as compileExpr,
// which stays the reference implementation (the tests run both).

import type { FieldContext, FieldType } from './fields.js';
import {
  bindField, CompileError, compileBinary, constValues, flatten, listPredicate, NUMERIC_TYPES, scalarPredicate,
  toNumber, typeCheckConstant, type Predicate,
} from './compiler.js';
import type { Expr } from './parser.js';

type Code = string | boolean;

class Gen {
  readonly env: unknown[] = [];
  readonly helpers: string[] = [];
  constructor(
    readonly ctx: FieldContext,
    readonly types: Set<string> | undefined,
  ) {}

  ref(x: unknown): string {
    this.env.push(x);
    return `c${this.env.length - 1}`;
  }

  expr(e: Expr): Code {
    switch (e.kind) {
      case 'and':
      case 'or': {
        const parts = flatten(e.kind, e.children).map((c) => this.expr(c));
        const absorbing = e.kind === 'and' ? false : true;
        if (parts.includes(absorbing)) return absorbing;
        const rest = parts.filter((p): p is string => typeof p === 'string');
        if (rest.length === 0) return !absorbing;
        if (rest.length === 1) return rest[0]!;
        return '(' + rest.join(e.kind === 'and' ? ' && ' : ' || ') + ')';
      }
      case 'not': {
        const c = this.expr(e.child);
        return typeof c === 'boolean' ? !c : `!${c}`;
      }
      case 'exists': {
        const f = bindField(e.field, this.ctx);
        const g = this.ref(f.get);
        return f.list
          ? `((v = ${g}(ev)) !== undefined && !(Array.isArray(v) && v.length === 0))`
          : `(${g}(ev) !== undefined)`;
      }
      case 'binary':
        return this.binary(e);
      case 'macro':
        throw new CompileError(`Undefined macro '${e.name}' used in filter.`);
    }
  }

  binary(e: Extract<Expr, { kind: 'binary' }>): Code {
    const whole = compileBinary(e, this.ctx); // validates, and is the fallback
    const k = typeCheckConstant(e, this.types);
    if (k !== undefined) return k;
    const f = bindField(e.field, this.ctx);
    const values = constValues(e.value);
    const isListOp = e.op === 'in' || e.op === 'intersects' || e.op === 'pmatch' || e.modifier !== undefined;
    if (f.ancestorValue && e.value.kind !== 'fieldref' && !f.neAll && !(e.op === 'in' && f.subsetIn)) {
      // Any ancestor from the parent up: a generated loop, no array.
      const a = this.ref(f.ancestorValue);
      const test = this.inlineTest(e, f.type, values, isListOp) ??
        `${this.ref(isListOp ? listPredicate(e.op, f.type, values, f.text, e.modifier) : scalarPredicate(e.op, f.type, values[0] ?? '', f.text))}(v)`;
      const h = `h${this.helpers.length}`;
      this.helpers.push(`function ${h}(p) {\n  let v;\n  for (; p; p = p.parent) if ((v = ${a}(p)) !== undefined && ${test}) return true;\n  return false;\n}`);
      return `${h}(ev.proc.parent)`;
    }
    if (e.value.kind === 'fieldref' || f.list || f.hostnameCompare) return `${this.ref(whole)}(ev)`;
    if (e.field.kind === 'field' && e.field.name === 'evt.type' && e.field.arg === undefined && !e.modifier) {
      if (e.op === '=' || e.op === '==') return `(ev.type === ${JSON.stringify(values[0])})`;
      if (e.op === '!=') return `(ev.type !== ${JSON.stringify(values[0])})`;
      if (e.op === 'in') return `${this.ref(new Set(values))}.has(ev.type)`;
    }
    const g = this.ref(f.get);
    const test = this.inlineTest(e, f.type, values, isListOp) ??
      `${this.ref(isListOp ? listPredicate(e.op, f.type, values, f.text, e.modifier) : scalarPredicate(e.op, f.type, values[0] ?? '', f.text))}(v)`;
    return `((v = ${g}(ev)) !== undefined && ${test})`;
  }

  inlineTest(e: Extract<Expr, { kind: 'binary' }>, type: FieldType, values: string[], isListOp: boolean): string | undefined {
    if (e.modifier) return undefined;
    const lit = (x: string) => JSON.stringify(x);
    if (type === 'string') {
      const c = values[0] ?? '';
      switch (e.op) {
        case '=':
        case '==':
          return `v === ${lit(c)}`;
        case '!=':
          return `v !== ${lit(c)}`;
        case 'startswith':
          return `v.startsWith(${lit(c)})`;
        case 'endswith':
          return `v.endsWith(${lit(c)})`;
        case 'contains':
          return `v.includes(${lit(c)})`;
        case 'in':
          if (values.length === 0) return 'false';
          if (values.length <= 3) return '(' + values.map((x) => `v === ${lit(x)}`).join(' || ') + ')';
          return `${this.ref(new Set(values))}.has(v)`;
        default:
          return undefined;
      }
    }
    if (NUMERIC_TYPES.has(type) && type !== 'abstime') {
      if (isListOp) {
        if (e.op !== 'in') return undefined;
        const nums = values.map(toNumber);
        return `${this.ref(new Set(nums))}.has(v)`;
      }
      const n = toNumber(values[0] ?? '');
      const ops: Record<string, string> = { '=': '===', '==': '===', '!=': '!==', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
      const op = ops[e.op];
      return op ? `v ${op} ${n}` : undefined;
    }
    if (type === 'bool' && (e.op === '=' || e.op === '==' || e.op === '!=')) {
      const b = values[0] === 'true' || values[0] === '1';
      return `v ${e.op === '!=' ? '!==' : '==='} ${b}`;
    }
    return undefined;
  }
}

/**
 * Compiles a macro-expanded tree to one generated function. With `types`
 * (the rule's evt.type set), evt.type checks the index guarantees fold away.
 * Throws CompileError like compileExpr.
 */
export function generateRule(e: Expr, ctx: FieldContext, types?: Set<string>): Predicate {
  const gen = new Gen(ctx, types);
  const code = gen.expr(e);
  if (typeof code === 'boolean') return code ? () => true : () => false;
  const hoist = gen.env.map((_, i) => `c${i} = f[${i}]`).join(', ');
  const src = `${hoist ? `const ${hoist};\n` : ''}${gen.helpers.join('\n')}\nreturn function rule(ev) {\n  let v;\n  return ${code};\n};`;
  return new Function('f', src)(gen.env) as Predicate;
}

/** The generated source for a tree (for debugging and tests). */
export function generatedSource(e: Expr, ctx: FieldContext, types?: Set<string>): string {
  const gen = new Gen(ctx, types);
  return String(gen.expr(e));
}
