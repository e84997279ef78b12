// The condition language: a recursive-descent parser from Falco condition
// text to a plain-data AST, and a printer (asString) back to canonical text.
// Grammar (libsinsp semantics): `not` binds tightest, then `and`, then `or`;
// a check is `field op value`, `field exists`, `(expr)` or a macro name.
// Lists have already been substituted as text by the loader.

export type BinaryOp =
  | '=' | '==' | '!=' | '<' | '<=' | '>' | '>='
  | 'contains' | 'icontains' | 'bcontains' | 'startswith' | 'bstartswith' | 'endswith'
  | 'glob' | 'iglob' | 'regex' | 'pmatch' | 'in' | 'intersects';

export type ListModifier = 'oneof' | 'anyof' | 'allof';

export const TRANSFORMERS = ['tolower', 'toupper', 'b64', 'basename', 'len'] as const;
export type Transformer = (typeof TRANSFORMERS)[number];

/** libsinsp's transformers over several values: join(sep, list), concat(a, b, ...), getopt(list, optstring)[c]. */
export const MULTI_TRANSFORMERS = ['join', 'concat', 'getopt'] as const;
export type MultiTransformer = (typeof MULTI_TRANSFORMERS)[number];

/** An argument of a multi-value transformer: a field expression or a quoted literal. */
export type MultiArg = FieldExpr | { kind: 'literal'; value: string };

/** A field reference, possibly wrapped in transformers. */
export type FieldExpr =
  | { kind: 'field'; name: string; arg?: string; pos: number }
  | { kind: 'transform'; fn: Transformer; child: FieldExpr; pos: number }
  | { kind: 'multi'; fn: MultiTransformer; args: MultiArg[]; arg?: string; pos: number };

export type ValueExpr =
  | { kind: 'value'; value: string; quoted: boolean }
  /** `name` set: written as a bare identifier (`in my_list`), which the loader must resolve to a list. */
  | { kind: 'list'; values: { value: string; quoted: boolean }[]; name?: string }
  | { kind: 'fieldref'; field: FieldExpr };

export type Expr =
  | { kind: 'and'; children: Expr[] }
  | { kind: 'or'; children: Expr[] }
  | { kind: 'not'; child: Expr }
  | { kind: 'macro'; name: string; pos: number }
  | { kind: 'exists'; field: FieldExpr }
  | { kind: 'binary'; field: FieldExpr; op: BinaryOp; modifier?: ListModifier; value: ValueExpr };

export class ParseError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

/**
 * libsinsp's parser gives up past this recursion depth ("exceeded max depth
 * limit of 100"); we count the same frames (or, and, not, check, each
 * parenthesis, a value), so what Falco accepts we accept, and nothing can
 * nest deep enough to exhaust the stack.
 */
export const MAX_PARSE_DEPTH = 100;

// Word operators take a blank after them (list operators may take '(').
const WORD_OPS: readonly BinaryOp[] = [
  'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith',
  'glob', 'iglob', 'regex', 'pmatch', 'intersects', 'in',
];
const LIST_OPS = new Set<BinaryOp>(['in', 'intersects', 'pmatch']);
const NUMERIC_OPS = new Set<BinaryOp>(['<', '<=', '>', '>=']);
const MODIFIABLE_OPS = new Set<BinaryOp>([
  'contains', 'icontains', 'startswith', 'endswith', 'glob', 'iglob', 'regex', 'bcontains', 'bstartswith', '=', '==', '!=',
]);

const IDENT_RE = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const FIELD_RE = /[a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_-]+)*/y;
const BARE_RE = /[^()"'\s=,]+/y;
// libsinsp's number and hex forms (an exponent needs its sign: 1e+3).
const NUM_RE = /[+-]?[0-9]+\.?[0-9]*(?:[eE][+-][0-9]+)?/y;
const HEX_RE = /0[xX][0-9a-zA-Z]+/y;
// A bare field argument: anything but blanks, brackets and quotes.
const ARG_BARE_RE = /[^ \b\t\n\r[\]"']+/y;

function isBlank(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v' || c === '\b';
}

/**
 * The value of a quoted token (quotes included), as libsinsp's unescape_str
 * reads it: \b \f \n \r \t \\ \/ and the token's own quote; a backslash
 * before a blank stands for one backslash (the blank is dropped); anything
 * else, \x included, is an error.
 */
export function unescapeQuoted(tok: string): string {
  const q = tok[0];
  let out = '';
  for (let i = 1; i < tok.length - 1; i++) {
    const c = tok[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = tok[++i];
    switch (e) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case ' ':
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case '"':
      case "'":
        if (e !== q) throw new Error(e === '"' ? "invalid \\\" escape in '-quoted string" : 'invalid \\\' escape in "-quoted string');
        out += e;
        break;
      default:
        throw new Error(`unsupported string escape sequence: \\${e ?? ''}`);
    }
  }
  return out;
}

class Parser {
  pos = 0;
  depth = 0;
  constructor(readonly text: string) {}

  fail(msg: string, pos = this.pos): never {
    // Falco's message is libsinsp's text alone; the position goes in the error's location.
    throw new ParseError(msg, pos);
  }

  push(): void {
    if (++this.depth >= MAX_PARSE_DEPTH) this.fail(`exceeded max depth limit of ${MAX_PARSE_DEPTH}`);
  }

  skip(): boolean {
    const s = this.pos;
    while (isBlank(this.text[this.pos])) this.pos++;
    return this.pos > s;
  }

  /** Matches keyword `w` followed by a blank (or `(` when allowParen), without consuming trailing blanks. */
  keyword(w: string, allowParen: boolean): boolean {
    if (!this.text.startsWith(w, this.pos)) return false;
    const next = this.text[this.pos + w.length];
    if (next === undefined) return false;
    if (isBlank(next) || (allowParen && next === '(')) {
      this.pos += w.length;
      return true;
    }
    return false;
  }

  parse(): Expr {
    // libsinsp reads the condition as a C string: a NUL ends it early.
    const nul = this.text.indexOf('\0');
    if (nul >= 0) this.fail('unexpected NUL byte in condition', nul);
    this.skip();
    if (this.pos >= this.text.length) this.fail('empty condition');
    const e = this.parseOr();
    this.skip();
    if (this.pos < this.text.length) this.fail(`unexpected token '${this.text.slice(this.pos, this.pos + 20)}', expecting 'or', 'and'`);
    return e;
  }

  parseOr(): Expr {
    this.push();
    const first = this.parseAnd();
    const children = [first];
    for (;;) {
      this.skip();
      const save = this.pos;
      if (this.keyword('or', true)) {
        this.skip();
        children.push(this.parseAnd());
      } else {
        this.pos = save;
        break;
      }
    }
    this.depth--;
    return children.length === 1 ? first : { kind: 'or', children };
  }

  parseAnd(): Expr {
    this.push();
    const first = this.parseNot();
    const children = [first];
    for (;;) {
      this.skip();
      const save = this.pos;
      if (this.keyword('and', true)) {
        this.skip();
        children.push(this.parseNot());
      } else {
        this.pos = save;
        break;
      }
    }
    this.depth--;
    return children.length === 1 ? first : { kind: 'and', children };
  }

  parseNot(): Expr {
    this.push();
    this.skip();
    // A run of `not`s is read in a loop, as libsinsp does (no recursion, so
    // 10k of them cost nothing); an even number cancels out.
    let negate = false;
    while (this.keyword('not', true)) {
      negate = !negate;
      this.skip();
    }
    const child = this.parseCheck();
    this.depth--;
    return negate ? { kind: 'not', child } : child;
  }

  parseCheck(): Expr {
    this.push();
    this.skip();
    const c = this.text[this.pos];
    if (c === '(') {
      this.push(); // the parenthesised remainder is a frame of its own in libsinsp
      this.pos++;
      const e = this.parseOr();
      this.skip();
      if (this.text[this.pos] !== ')') this.fail("expected a ')' token");
      this.pos++;
      this.depth -= 2;
      return e;
    }
    const start = this.pos;
    const field = this.parseFieldExpr(true);
    if (field === undefined) {
      // A macro name (identifier without a dot).
      IDENT_RE.lastIndex = this.pos;
      const m = IDENT_RE.exec(this.text);
      if (!m) this.fail(`unexpected token '${this.text.slice(this.pos, this.pos + 20)}', expecting a '(' token, a field check, or an identifier`);
      if (m[0] === 'and' || m[0] === 'or' || m[0] === 'not') this.fail(`unexpected keyword '${m[0]}'`);
      this.pos += m[0].length;
      this.depth--;
      return { kind: 'macro', name: m[0], pos: start };
    }
    const e = this.parseCondition(field);
    this.depth--;
    return e;
  }

  /**
   * Parses a field, possibly wrapped in transformers. Returns undefined (and
   * restores the position) when the text is a bare identifier (a macro).
   */
  parseFieldExpr(allowMacro: boolean): FieldExpr | undefined {
    const start = this.pos;
    for (const t of MULTI_TRANSFORMERS) {
      if (this.text.startsWith(t + '(', this.pos)) {
        // Nested transformers count as depth too (no unbounded recursion).
        this.push();
        this.pos += t.length + 1;
        const args: MultiArg[] = [];
        for (;;) {
          this.skip();
          const q = this.text[this.pos];
          if (q === '"' || q === "'") args.push({ kind: 'literal', value: this.parseQuoted(q) });
          else {
            const a = this.parseFieldExpr(false);
            if (!a) this.fail(`expected a field or a quoted string inside ${t}()`);
            args.push(a);
          }
          this.skip();
          if (this.text[this.pos] === ',') {
            this.pos++;
            continue;
          }
          if (this.text[this.pos] !== ')') this.fail(`expected ',' or ')' in ${t}()`);
          this.pos++;
          break;
        }
        let arg: string | undefined;
        if (this.text[this.pos] === '[') {
          const close = this.text.indexOf(']', this.pos + 1);
          if (close < 0) this.fail("expected a ']' token");
          arg = this.text.slice(this.pos + 1, close);
          this.pos = close + 1;
        }
        this.depth--;
        return { kind: 'multi', fn: t, args, ...(arg !== undefined ? { arg } : {}), pos: start };
      }
    }
    for (const t of TRANSFORMERS) {
      if (this.text.startsWith(t + '(', this.pos)) {
        this.push();
        this.pos += t.length + 1;
        this.skip();
        const child = this.parseFieldExpr(false);
        if (!child) this.fail(`expected a field inside ${t}()`);
        this.skip();
        if (this.text[this.pos] !== ')') this.fail(`expected ')' after transformer argument`);
        this.pos++;
        this.depth--;
        return { kind: 'transform', fn: t, child, pos: start };
      }
    }
    FIELD_RE.lastIndex = this.pos;
    const m = FIELD_RE.exec(this.text);
    if (!m) {
      if (allowMacro) return undefined;
      this.fail('expected a field name');
    }
    const name = m[0];
    if (!name.includes('.')) {
      if (allowMacro) return undefined;
      this.fail(`expected a field name, got '${name}'`);
    }
    if (name.endsWith('.')) this.fail(`invalid field name '${name}'`);
    this.pos += name.length;
    if (this.text[this.pos] === '[') {
      this.pos++;
      let arg: string;
      const q = this.text[this.pos];
      if (q === '"' || q === "'") arg = this.parseQuoted(q);
      else {
        ARG_BARE_RE.lastIndex = this.pos;
        const a = ARG_BARE_RE.exec(this.text);
        if (!a) this.fail('expected a valid field argument: a quoted string or a bare string');
        arg = a[0];
        this.pos += arg.length;
      }
      if (this.text[this.pos] !== ']') this.fail("expected a ']' token");
      this.pos++;
      return { kind: 'field', name, arg, pos: start };
    }
    return { kind: 'field', name, pos: start };
  }

  parseCondition(field: FieldExpr): Expr {
    const blankBefore = this.skip();
    const opPos = this.pos;
    if (this.text.startsWith('exists', this.pos)) {
      // libsinsp takes `exists` wherever it starts ("existsand x" is accepted).
      this.pos += 6;
      return { kind: 'exists', field };
    }
    let op: BinaryOp | undefined;
    for (const sym of ['==', '!=', '<=', '>=', '=', '<', '>'] as const) {
      if (this.text.startsWith(sym, this.pos)) {
        op = sym;
        this.pos += sym.length;
        break;
      }
    }
    if (!op && blankBefore) {
      for (const w of WORD_OPS) {
        if (this.keyword(w, LIST_OPS.has(w))) {
          op = w;
          break;
        }
      }
    }
    if (!op) this.fail(`expected a valid check operator after field, got '${this.text.slice(opPos, opPos + 20)}'`, opPos);
    this.push(); // the value is a frame of its own in libsinsp
    const afterOp = this.skip();
    let modifier: ListModifier | undefined;
    // A modifier is a word of its own: `= oneof (...)`, never `=oneof(...)`.
    if (MODIFIABLE_OPS.has(op) && (afterOp || !'=!<>'.includes(this.text[this.pos - 1]!))) {
      for (const m of ['oneof', 'anyof', 'allof'] as const) {
        if (this.keyword(m, true)) {
          modifier = m;
          this.skip();
          break;
        }
      }
    }
    let e: Expr;
    if (LIST_OPS.has(op) || modifier) {
      e = { kind: 'binary', field, op, ...(modifier ? { modifier } : {}), value: this.parseListValue(op, modifier) };
    } else if (this.text.startsWith('val(', this.pos)) {
      this.pos += 4;
      this.skip();
      const vpos = this.pos;
      const ref = this.parseFieldExpr(false)!;
      if (ref.kind !== 'field') this.fail('val() takes a field, not a transformer', vpos);
      this.skip();
      if (this.text[this.pos] !== ')') this.fail("expected ')' after val(field");
      this.pos++;
      e = { kind: 'binary', field, op, value: { kind: 'fieldref', field: ref } };
    } else if ([...TRANSFORMERS, ...MULTI_TRANSFORMERS].some((t) => this.text.startsWith(t + '(', this.pos))) {
      // A transformer on the right-hand side compares with another field's transformed value.
      e = { kind: 'binary', field, op, value: { kind: 'fieldref', field: this.parseFieldExpr(false)! } };
    } else if (NUMERIC_OPS.has(op)) {
      HEX_RE.lastIndex = this.pos;
      NUM_RE.lastIndex = this.pos;
      const m = HEX_RE.exec(this.text) ?? NUM_RE.exec(this.text);
      if (!m) this.fail('expected a number value');
      this.pos += m[0].length;
      e = { kind: 'binary', field, op, value: { kind: 'value', value: m[0], quoted: false } };
    } else {
      const v = this.parseValue();
      e = { kind: 'binary', field, op, value: { kind: 'value', ...v } };
    }
    this.depth--;
    return e;
  }

  /** `(a, b)` with no empty item, or a bare identifier naming a list. */
  parseListValue(op: BinaryOp, modifier: ListModifier | undefined): ValueExpr {
    if (this.text[this.pos] !== '(') {
      IDENT_RE.lastIndex = this.pos;
      const m = IDENT_RE.exec(this.text);
      if (!m) this.fail(`expected a list or an identifier after '${op}${modifier ? ' ' + modifier : ''}'`);
      this.pos += m[0].length;
      return { kind: 'list', values: [{ value: m[0], quoted: false }], name: m[0] };
    }
    this.pos++;
    const values: { value: string; quoted: boolean }[] = [];
    this.skip();
    if (this.text[this.pos] === ')') {
      this.pos++;
      return { kind: 'list', values };
    }
    for (;;) {
      this.skip();
      values.push(this.parseValue());
      this.skip();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ')') {
        this.pos++;
        return { kind: 'list', values };
      }
      this.fail("expected ',' or ')' in list");
    }
  }

  parseValue(): { value: string; quoted: boolean } {
    const c = this.text[this.pos];
    if (c === '"' || c === "'") return { value: this.parseQuoted(c), quoted: true };
    BARE_RE.lastIndex = this.pos;
    const m = BARE_RE.exec(this.text);
    if (!m) this.fail('expected a string value');
    this.pos += m[0].length;
    return { value: m[0], quoted: false };
  }

  /**
   * A quoted string as libsinsp lexes it: it ends at the first quote not
   * right after a backslash (so "a\\" does not end at its last quote), then
   * unescape_str decodes it.
   */
  parseQuoted(q: string): string {
    const start = this.pos;
    let i = start + 1;
    let prev = '';
    for (;;) {
      const c = this.text[i];
      if (c === undefined) this.fail('unterminated quoted string', start);
      if (c === q && prev !== '\\') break;
      prev = c;
      i++;
    }
    const tok = this.text.slice(start, i + 1);
    try {
      const v = unescapeQuoted(tok);
      this.pos = i + 1;
      return v;
    } catch (e) {
      return this.fail((e as Error).message, start);
    }
  }
}

/** Parses a condition. Throws ParseError with the position of the problem. */
export function parseCondition(text: string): Expr {
  return new Parser(text).parse();
}

/** Parses a lone field expression (outputs, exceptions); throws ParseError. */
export function parseField(text: string): FieldExpr {
  const p = new Parser(text);
  const f = p.parseFieldExpr(false)!;
  if (p.pos !== text.length) p.fail('unexpected text after field');
  return f;
}

// ---- Printer ----

const BARE_OK = /^[^()"'\s=,\\]+$/;

/** Quotes a value for condition text when it cannot stand bare. */
export function quoteValue(v: string): string {
  if (BARE_OK.test(v)) return v;
  let out = '"';
  for (const ch of v) {
    switch (ch) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      case '\b': out += '\\b'; break;
      case '\f': out += '\\f'; break;
      default:
        // Other control characters stand as they are: a quoted string takes any byte.
        out += ch;
    }
  }
  return out + '"';
}

export function fieldAsString(f: FieldExpr): string {
  if (f.kind === 'transform') return `${f.fn}(${fieldAsString(f.child)})`;
  if (f.kind === 'multi') {
    const args = f.args.map((a) => (a.kind === 'literal' ? JSON.stringify(a.value) : fieldAsString(a))).join(', ');
    return `${f.fn}(${args})${f.arg !== undefined ? `[${f.arg}]` : ''}`;
  }
  return f.arg !== undefined ? `${f.name}[${f.arg}]` : f.name;
}

function valueAsString(v: ValueExpr): string {
  if (v.kind === 'value') return quoteValue(v.value);
  if (v.kind === 'fieldref') return v.field.kind === 'transform' ? fieldAsString(v.field) : `val(${fieldAsString(v.field)})`;
  return '(' + v.values.map((x) => quoteValue(x.value)).join(', ') + ')';
}

/** Canonical text of a tree: `and`/`or` groups are parenthesised. */
export function asString(e: Expr): string {
  switch (e.kind) {
    case 'and':
    case 'or':
      return '(' + e.children.map(asString).join(` ${e.kind} `) + ')';
    case 'not':
      return `not ${asString(e.child)}`;
    case 'macro':
      return e.name;
    case 'exists':
      return `${fieldAsString(e.field)} exists`;
    case 'binary':
      return `${fieldAsString(e.field)} ${e.op}${e.modifier ? ' ' + e.modifier : ''} ${valueAsString(e.value)}`;
  }
}

/** Every field named in a tree (after macro expansion, if done). */
export function collectFields(e: Expr, out: FieldExpr[] = []): FieldExpr[] {
  switch (e.kind) {
    case 'and':
    case 'or':
      for (const c of e.children) collectFields(c, out);
      break;
    case 'not':
      collectFields(e.child, out);
      break;
    case 'exists':
      out.push(e.field);
      break;
    case 'binary':
      out.push(e.field);
      if (e.value.kind === 'fieldref') out.push(e.value.field);
      break;
    case 'macro':
      break;
  }
  return out;
}
