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

/** A field reference, possibly wrapped in transformers. */
export type FieldExpr =
  | { kind: 'field'; name: string; arg?: string; pos: number }
  | { kind: 'transform'; fn: Transformer; child: FieldExpr; pos: number };

export type ValueExpr =
  | { kind: 'value'; value: string; quoted: boolean }
  | { kind: 'list'; values: { value: string; quoted: boolean }[] }
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
const NUM_RE = /-?(?:0x[0-9a-fA-F]+|[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)/y;

function isBlank(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
}

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  fail(msg: string, pos = this.pos): never {
    throw new ParseError(`${msg} at position ${pos}`, pos);
  }

  skip(): void {
    while (isBlank(this.text[this.pos])) this.pos++;
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
    this.skip();
    if (this.pos >= this.text.length) this.fail('empty condition');
    const e = this.parseOr();
    this.skip();
    if (this.pos < this.text.length) this.fail(`unexpected token '${this.text.slice(this.pos, this.pos + 20)}', expecting 'or', 'and'`);
    return e;
  }

  parseOr(): Expr {
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
    return children.length === 1 ? first : { kind: 'or', children };
  }

  parseAnd(): Expr {
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
    return children.length === 1 ? first : { kind: 'and', children };
  }

  parseNot(): Expr {
    this.skip();
    if (this.keyword('not', true)) {
      this.skip();
      return { kind: 'not', child: this.parseNot() };
    }
    return this.parseCheck();
  }

  parseCheck(): Expr {
    this.skip();
    const c = this.text[this.pos];
    if (c === '(') {
      this.pos++;
      const e = this.parseOr();
      this.skip();
      if (this.text[this.pos] !== ')') this.fail("expected ')'");
      this.pos++;
      return e;
    }
    const start = this.pos;
    const field = this.parseFieldExpr(true);
    if (field === undefined) {
      // A macro name (identifier without a dot).
      IDENT_RE.lastIndex = this.pos;
      const m = IDENT_RE.exec(this.text);
      if (!m) this.fail(`unexpected token '${this.text.slice(this.pos, this.pos + 20)}', expecting a field, a macro or '('`);
      if (m[0] === 'and' || m[0] === 'or' || m[0] === 'not') this.fail(`unexpected keyword '${m[0]}'`);
      this.pos += m[0].length;
      return { kind: 'macro', name: m[0], pos: start };
    }
    return this.parseCondition(field);
  }

  /**
   * Parses a field, possibly wrapped in transformers. Returns undefined (and
   * restores the position) when the text is a bare identifier (a macro).
   */
  parseFieldExpr(allowMacro: boolean): FieldExpr | undefined {
    const start = this.pos;
    for (const t of TRANSFORMERS) {
      if (this.text.startsWith(t + '(', this.pos)) {
        this.pos += t.length + 1;
        this.skip();
        const child = this.parseFieldExpr(false);
        if (!child) this.fail(`expected a field inside ${t}()`);
        this.skip();
        if (this.text[this.pos] !== ')') this.fail(`expected ')' after transformer argument`);
        this.pos++;
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
      const close = this.text.indexOf(']', this.pos + 1);
      if (close < 0) this.fail("unterminated field argument, expected ']'");
      const arg = this.text.slice(this.pos + 1, close);
      if (arg.length === 0) {
        this.pos = close + 1;
        return { kind: 'field', name, arg: '', pos: start };
      }
      this.pos = close + 1;
      return { kind: 'field', name, arg, pos: start };
    }
    return { kind: 'field', name, pos: start };
  }

  parseCondition(field: FieldExpr): Expr {
    this.skip();
    const opPos = this.pos;
    if (this.text.startsWith('exists', this.pos)) {
      const next = this.text[this.pos + 6];
      if (next === undefined || isBlank(next) || next === ')') {
        this.pos += 6;
        return { kind: 'exists', field };
      }
    }
    let op: BinaryOp | undefined;
    for (const sym of ['==', '!=', '<=', '>=', '=', '<', '>'] as const) {
      if (this.text.startsWith(sym, this.pos)) {
        op = sym;
        this.pos += sym.length;
        break;
      }
    }
    if (!op) {
      for (const w of WORD_OPS) {
        if (this.keyword(w, LIST_OPS.has(w))) {
          op = w;
          break;
        }
      }
    }
    if (!op) this.fail(`expected a valid operator after field, got '${this.text.slice(opPos, opPos + 20)}'`, opPos);
    this.skip();
    let modifier: ListModifier | undefined;
    if (MODIFIABLE_OPS.has(op)) {
      for (const m of ['oneof', 'anyof', 'allof'] as const) {
        if (this.keyword(m, true)) {
          modifier = m;
          this.skip();
          break;
        }
      }
    }
    if (LIST_OPS.has(op) || modifier) {
      if (this.text[this.pos] !== '(') this.fail(`expected a list after '${op}${modifier ? ' ' + modifier : ''}'`);
      const value = this.parseList();
      return modifier ? { kind: 'binary', field, op, modifier, value } : { kind: 'binary', field, op, value };
    }
    if (this.text.startsWith('val(', this.pos)) {
      this.pos += 4;
      this.skip();
      const ref = this.parseFieldExpr(false)!;
      this.skip();
      if (this.text[this.pos] !== ')') this.fail("expected ')' after val(field");
      this.pos++;
      return { kind: 'binary', field, op, value: { kind: 'fieldref', field: ref } };
    }
    if (NUMERIC_OPS.has(op)) {
      NUM_RE.lastIndex = this.pos;
      const m = NUM_RE.exec(this.text);
      const after = m ? this.text[this.pos + m[0].length] : undefined;
      if (!m || (after !== undefined && !isBlank(after) && after !== ')')) this.fail(`expected a number after '${op}'`);
      this.pos += m[0].length;
      return { kind: 'binary', field, op, value: { kind: 'value', value: m[0], quoted: false } };
    }
    const v = this.parseValue();
    return { kind: 'binary', field, op, value: { kind: 'value', ...v } };
  }

  parseList(): ValueExpr {
    this.pos++; // (
    const values: { value: string; quoted: boolean }[] = [];
    this.skip();
    if (this.text[this.pos] === ')') {
      this.pos++;
      return { kind: 'list', values };
    }
    for (;;) {
      this.skip();
      // Empty items (from substituting an empty list: `(a, , b)`) are skipped.
      const c0 = this.text[this.pos];
      if (c0 !== ',' && c0 !== ')') values.push(this.parseValue());
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
    if (!m) this.fail('expected a value');
    this.pos += m[0].length;
    return { value: m[0], quoted: false };
  }

  parseQuoted(q: string): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) this.fail('unterminated quoted string', start);
      if (c === q) {
        this.pos++;
        return out;
      }
      if (c === '\\') {
        const e = this.text[this.pos + 1];
        switch (e) {
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'x': {
            const hex = this.text.slice(this.pos + 2, this.pos + 4);
            if (!/^[0-9a-fA-F]{2}$/.test(hex)) this.fail('invalid \\x escape in quoted string');
            out += String.fromCharCode(parseInt(hex, 16));
            this.pos += 2;
            break;
          }
          default:
            if (e === q) {
              out += q;
              break;
            }
            // A backslash before a blank stays literal (upstream rules match
            // `"\ "` in command lines); any other unknown escape is an error.
            if (isBlank(e)) {
              out += '\\';
              this.pos += 1;
              continue;
            }
            this.fail(`invalid escape sequence '\\${e ?? ''}' in quoted string`);
        }
        this.pos += 2;
        continue;
      }
      out += c;
      this.pos++;
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
      default: {
        const code = ch.charCodeAt(0);
        out += code < 0x20 ? '\\x' + code.toString(16).padStart(2, '0') : ch;
      }
    }
  }
  return out + '"';
}

export function fieldAsString(f: FieldExpr): string {
  if (f.kind === 'transform') return `${f.fn}(${fieldAsString(f.child)})`;
  return f.arg !== undefined ? `${f.name}[${f.arg}]` : f.name;
}

function valueAsString(v: ValueExpr): string {
  if (v.kind === 'value') return quoteValue(v.value);
  if (v.kind === 'fieldref') return `val(${fieldAsString(v.field)})`;
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
