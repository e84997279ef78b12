// Loads Falco rule files with Falco's semantics, in two stages:
//   read:    YAML -> items (lists, macros, rules, engine/plugin requirements),
//            applying append/override/redefinition in file order;
//   compile: list text substitution, macro trees, rule conditions with
//            exceptions, outputs, evt.type sets.
// Every error and warning carries Falco's code and the item/position it
// refers to, in the shape `falco -V --json` prints.

import { loadAll as fastLoadAll, CORE_SCHEMA } from 'js-yaml';
import { fromJs, LineIndex, toJs, type PositionParser, type YNode } from './yaml-tree.js';
import { PRIORITIES, parsePriority, type Priority } from '../model/alert.js';
export { PRIORITIES, parsePriority };
import { CompileError, expandMacros, inferEventTypes, type Predicate } from './compiler.js';
import { generateRule } from './codegen.js';
import { compileOutput, type CompiledOutput } from './formatter.js';
import { resolveField, type FieldContext } from './fields.js';
import { MAX_RULES_FILE_BYTES } from './files.js';
import { collectFields, fieldAsString, ParseError, parseCondition, parseField, quoteValue, unescapeQuoted, type Expr } from './parser.js';

/** The engine version this loader implements (compared with required_engine_version). */
export const ENGINE_VERSION = '0.63.0';
/** Plugins whose fields the agent provides itself, with the version it stands for. */
export const PROVIDED_PLUGINS: Record<string, string> = { container: '0.99.0' };


/**
 * `codedesc` as falco -V --json prints it: for errors the short string
 * (Falco's error_desc() returns it), for warnings the long description.
 */
export const CODE_DESC: Record<string, string> = {
  LOAD_ERR_FILE_READ: 'File read error',
  LOAD_ERR_YAML_PARSE: 'YAML parse error',
  LOAD_ERR_YAML_VALIDATE: 'Error validating internal structure of YAML file',
  LOAD_ERR_COMPILE_CONDITION: 'Error compiling condition',
  LOAD_ERR_COMPILE_OUTPUT: 'Error compiling output',
  LOAD_ERR_VALIDATE: 'Error validating rule/macro/list/exception objects',
  LOAD_ERR_EXTENSION: 'Error in extension item',
  LOAD_UNKNOWN_SOURCE:
    'A rule has a unknown event source. This can occur when reading rules content without having a corresponding plugin loaded, etc. The rule will be silently ignored.',
  LOAD_UNSAFE_NA_CHECK:
    "Comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to check for the existence of a field, consider using the 'exists' operator instead.",
  LOAD_NO_EVTTYPE:
    'A rule condition matches too many evt.type values. This has a significant performance penalty. Make the condition more specific by adding an evt.type field or further restricting the number of evt.type values in the condition.',
  LOAD_UNKNOWN_FILTER:
    'A rule condition or output refers to a field or evt.type that does not exist. This is normally an error, but if a rule has a skip-if-unknown-filter property, the error is downgraded to a warning.',
  LOAD_UNUSED_MACRO: 'A macro is defined in the rules content but is not used by any other macro or rule.',
  LOAD_UNUSED_LIST: 'A list is defined in the rules content but is not used by any other list, macro, or rule.',
  LOAD_UNKNOWN_ITEM: 'An unknown top-level object is in the rules content. It will be ignored.',
  LOAD_DEPRECATED_ITEM: 'A deprecated item is employed by lists, macros, or rules.',
  LOAD_WARNING_EXTENSION: 'An extension item has a warning',
  LOAD_APPEND_NO_VALUES: 'A rule exception is overriding/appending with no values',
  LOAD_EXCEPTION_NAME_NOT_UNIQUE: 'A rule is defining multiple exceptions with the same name',
  LOAD_INVALID_MACRO_NAME: 'A macro is defined with an invalid name',
  LOAD_INVALID_LIST_NAME: 'A list is defined with an invalid name',
  LOAD_COMPILE_CONDITION: 'A rule condition or output have been parsed with a warning',
  LOAD_UNKNOWN_KEY:
    'An item in the rules content contains an unrecognized key. The key will be ignored. This may indicate a typo or a property placed on the wrong item type.',
};

export interface Position {
  name: string;
  /** 0-based, as Falco's YAML marks. */
  line: number;
  /** 0-based. */
  column: number;
  offset: number;
}

export interface Location {
  item_type: string;
  item_name: string;
  position: Position;
}

export interface LoadMessage {
  code: string;
  codedesc: string;
  message: string;
  context: { locations: Location[]; snippet: string };
}

export interface FileLoadResult {
  name: string;
  successful: boolean;
  errors: LoadMessage[];
  warnings: LoadMessage[];
  /** The file's shape matches the rules schema (no structural error, no unknown key). */
  schema_valid?: boolean;
  /** What the schema check found: one line per structural error or unknown key. */
  schema_warnings?: string[];
}

const SCHEMA_CODES = new Set(['LOAD_ERR_YAML_PARSE', 'LOAD_ERR_YAML_VALIDATE', 'LOAD_UNKNOWN_KEY']);

/** Adds schema_valid / schema_warnings to a file's result, from its messages. */
export function withSchema(r: FileLoadResult): FileLoadResult {
  const found = [...r.errors, ...r.warnings].filter((m) => SCHEMA_CODES.has(m.code)).map((m) => `${m.code}: ${m.message}`);
  r.schema_valid = found.length === 0;
  r.schema_warnings = found;
  return r;
}

export interface RuleException {
  name: string;
  fields: string | string[] | undefined;
  comps: string | string[] | undefined;
  values: unknown[];
  ctx: Ctx;
}

/** A loaded and compiled rule. */
export interface CompiledRule {
  name: string;
  desc: string;
  /** Condition text as written (after appends), before exceptions and lists. */
  condition: string;
  /** Final condition text that was parsed (exceptions added; lists resolve on the tree, not in this text). */
  compiledCondition: string;
  outputFormat: string;
  priority: Priority;
  source: string;
  tags: string[];
  enabled: boolean;
  /** Event types the rule can match, or 'all'. */
  evttypes: Set<string> | 'all';
  /** Definition order across all files. */
  index: number;
  match: Predicate;
  output: CompiledOutput;
  /** Fields the condition and output use (for debug views). */
  fields: string[];
  /** Macro-expanded condition tree. */
  tree: Expr;
}

// ---------- positions ----------

interface SourceFile {
  name: string;
  content: string;
  lines: LineIndex;
}

interface Ctx {
  file: SourceFile;
  itemType: string;
  itemName: string;
  offset: number;
}

function position(ctx: { file: SourceFile; offset: number }): Position {
  const lp = ctx.file.lines.linePos(ctx.offset);
  return { name: ctx.file.name, line: lp.line - 1, column: lp.col - 1, offset: ctx.offset };
}

function snippet(file: SourceFile, offset: number): string {
  const lp = file.lines.linePos(offset);
  const lineStart = offset - (lp.col - 1);
  let end = file.content.indexOf('\n', lineStart);
  if (end < 0) end = file.content.length;
  return file.content.slice(lineStart, end) + '\n' + ' '.repeat(Math.max(0, lp.col - 1)) + '^';
}

class LoadError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly ctx: Ctx,
    readonly extra: Location[] = [],
  ) {
    super(message);
  }
}

function makeMessage(code: string, message: string, ctx: Ctx, extra: Location[] = []): LoadMessage {
  return {
    code,
    codedesc: CODE_DESC[code] ?? code,
    message,
    context: {
      // Falco's first location is always the whole file, at 0:0.
      locations: [
        { item_type: 'rules content', item_name: '', position: { name: ctx.file.name, line: 0, column: 0, offset: 0 } },
        ...(ctx.itemType || ctx.offset > 0
          ? [{ item_type: ctx.itemType || 'rules content item', item_name: ctx.itemName, position: position(ctx) }]
          : []),
        ...extra,
      ],
      snippet: snippet(ctx.file, ctx.offset),
    },
  };
}

// ---------- collected items ----------

interface ListItem {
  name: string;
  items: string[];
  ctx: Ctx;
  index: number;
  used: boolean;
}
interface MacroItem {
  name: string;
  condition: string;
  ctx: Ctx;
  condOffset: number;
  index: number;
  used: boolean;
}
interface RuleItem {
  name: string;
  desc: string;
  condition: string;
  output: string;
  priority: Priority;
  source: string;
  enabled: boolean;
  tags: string[];
  exceptions: RuleException[];
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
  /** Falco's capture keys: accepted and validated; the agent records no captures. */
  capture: boolean;
  captureDuration: number | undefined;
  ctx: Ctx;
  condOffset: number;
  outputOffset: number;
  index: number;
}

interface Collector {
  lists: Map<string, ListItem>;
  macros: Map<string, MacroItem>;
  rules: Map<string, RuleItem>;
  order: number;
}

// Falco's own wording (rule_loading_messages.h).
const WARNING_APPEND = "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const WARNING_ENABLED =
  "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
const ERROR_OVERRIDE_APPEND = "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const ERROR_NO_PREVIOUS_MACRO = "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists";
const ERROR_NO_PREVIOUS_LIST = "List uses 'append' or 'override.items: append' but no list by that name already exists";
const ERROR_NO_PREVIOUS_RULE_APPEND = "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists";
const ERROR_NO_PREVIOUS_RULE_REPLACE = "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists";
// A macro name is a libsinsp identifier; a list name must stand as a bare string.
const MACRO_NAME_RE = '^[a-zA-Z_][a-zA-Z0-9_]*$';
const LIST_NAME_RE = '^[^ \\t\\n\\r\\b(),="\']+$';

/** Fields Falco warns about (load_result's deprecated_field_descs): enter events are gone. */
const LATENCY_DESC = 'field is not available due to the drop of enter events.';
const DEPRECATED_FIELDS: Record<string, string> = {
  'evt.dir': "due to the drop of enter events, 'evt.dir = <' always evaluates to true, and 'evt.dir = >' always evaluates to false. The rule expression can be simplified by removing the condition on 'evt.dir'",
  'evt.latency': LATENCY_DESC,
  'evt.latency.s': LATENCY_DESC,
  'evt.latency.ns': LATENCY_DESC,
  'evt.latency.human': LATENCY_DESC,
  'evt.wait_latency': LATENCY_DESC,
};

const RULE_KEYS = new Set([
  'rule', 'desc', 'condition', 'output', 'priority', 'source', 'enabled', 'tags', 'exceptions',
  'warn_evttypes', 'skip-if-unknown-filter', 'override', 'append', 'required_engine_version', 'capture', 'capture_duration',
]);
const MACRO_KEYS = new Set(['macro', 'condition', 'append', 'override', 'required_engine_version', 'desc']);
const LIST_KEYS = new Set(['list', 'items', 'append', 'override', 'required_engine_version', 'desc']);
const RULE_APPENDABLE = new Set(['condition', 'output', 'desc', 'tags', 'exceptions']);
const RULE_REPLACEABLE = new Set([
  'condition', 'output', 'desc', 'tags', 'exceptions', 'priority', 'enabled', 'warn_evttypes', 'skip-if-unknown-filter', 'capture', 'capture_duration',
]);


function parseVersion(v: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function cmpVersion(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

// ---------- reading ----------

type YMap = Extract<YNode, { t: 'map' }>;

interface ItemView {
  map: YMap;
  file: SourceFile;
  offset: number;
  keys: Map<string, { node: YNode | null; offset: number }>;
}

function view(map: YMap, file: SourceFile): ItemView {
  const keys = new Map<string, { node: YNode | null; offset: number }>();
  for (const pair of map.pairs) keys.set(pair.key, { node: pair.value, offset: pair.value?.offset ?? pair.keyOffset });
  return { map, file, offset: map.offset, keys };
}

function getString(v: ItemView, key: string, ctx: Ctx, required: boolean): string | undefined {
  const e = v.keys.get(key);
  if (!e || e.node === null) {
    if (required) throw new LoadError('LOAD_ERR_YAML_VALIDATE', `Item has no mapping for key '${key}'`, ctx);
    return undefined;
  }
  if (e.node.t !== 'scalar') throw new LoadError('LOAD_ERR_YAML_VALIDATE', `Value for key '${key}' must be a scalar`, { ...ctx, offset: e.offset });
  const val = e.node.value;
  if (val === null) {
    if (required) throw new LoadError('LOAD_ERR_YAML_VALIDATE', `Item has no mapping for key '${key}'`, ctx);
    return undefined;
  }
  return String(val);
}

function getBool(v: ItemView, key: string, ctx: Ctx): boolean | undefined {
  const e = v.keys.get(key);
  if (!e) return undefined;
  if (!e.node || e.node.t !== 'scalar' || typeof e.node.value !== 'boolean') {
    throw new LoadError('LOAD_ERR_YAML_VALIDATE', `Value for key '${key}' must be a boolean`, { ...ctx, offset: e.offset });
  }
  return e.node.value;
}

function getStringList(v: ItemView, key: string, ctx: Ctx): string[] | undefined {
  const e = v.keys.get(key);
  if (!e) return undefined;
  if (e.node === null) return [];
  if (e.node.t !== 'seq') throw new LoadError('LOAD_ERR_YAML_VALIDATE', `Value for key '${key}' must be a sequence`, { ...ctx, offset: e.offset });
  return e.node.items.map((it) => {
    if (it.t !== 'scalar') throw new LoadError('LOAD_ERR_YAML_VALIDATE', `Items of '${key}' must be scalars`, { ...ctx, offset: e.offset });
    return String(it.value);
  });
}

/** capture_duration: a non-negative integer (milliseconds). */
function captureDurationOf(v: ItemView, ctx: Ctx): number | undefined {
  const e = v.keys.get('capture_duration');
  if (!e) return undefined;
  const val = e.node?.t === 'scalar' ? e.node.value : undefined;
  const n = typeof val === 'number' ? val : typeof val === 'string' && /^[0-9]+$/.test(val) ? Number(val) : NaN;
  if (!Number.isInteger(n) || n < 0) throw new LoadError('LOAD_ERR_YAML_VALIDATE', "Value for key 'capture_duration' must be a non-negative integer", { ...ctx, offset: e.offset });
  return n;
}

function warnUnknownKeys(v: ItemView, allowed: Set<string>, ctx: Ctx, warn: (m: LoadMessage) => void): void {
  for (const [k, e] of v.keys) {
    if (!allowed.has(k)) warn(makeMessage('LOAD_UNKNOWN_KEY', `Unknown key '${k}'. The key will be ignored.`, { ...ctx, offset: e.offset }));
  }
}

type OverrideMode = 'append' | 'replace';

function getOverride(v: ItemView, ctx: Ctx, appendable: Set<string>, replaceable: Set<string>): Map<string, OverrideMode> | undefined {
  const e = v.keys.get('override');
  if (!e) return undefined;
  if (!e.node || e.node.t !== 'map') throw new LoadError('LOAD_ERR_YAML_VALIDATE', "Value for key 'override' must be a mapping", { ...ctx, offset: e.offset });
  const out = new Map<string, OverrideMode>();
  for (const pair of e.node.pairs) {
    const k = pair.key;
    const val = pair.value?.t === 'scalar' ? String(pair.value.value) : '';
    if (val !== 'append' && val !== 'replace') {
      throw new LoadError('LOAD_ERR_VALIDATE', `Invalid override value '${val}' for key '${k}': must be 'append' or 'replace'`, { ...ctx, offset: e.offset });
    }
    if (val === 'append' && !appendable.has(k)) throw new LoadError('LOAD_ERR_VALIDATE', `Key '${k}' cannot be appended to, use 'replace' instead`, { ...ctx, offset: e.offset });
    if (val === 'replace' && !replaceable.has(k)) throw new LoadError('LOAD_ERR_VALIDATE', `Key '${k}' cannot be replaced`, { ...ctx, offset: e.offset });
    if (!v.keys.has(k)) throw new LoadError('LOAD_ERR_VALIDATE', `An ${val} override for '${k}' was specified but '${k}' is not defined`, { ...ctx, offset: e.offset });
    out.set(k, val);
  }
  return out;
}

function checkOverrideCovers(v: ItemView, ov: Map<string, OverrideMode>, nameKey: string, ctx: Ctx): void {
  for (const [k, e] of v.keys) {
    if (k === nameKey || k === 'override') continue;
    if (!ov.has(k)) {
      throw new LoadError('LOAD_ERR_VALIDATE', `Unexpected key '${k}': an override item may only contain the keys it overrides`, { ...ctx, offset: e.offset });
    }
  }
}

function readExceptions(v: ItemView, ctx: Ctx, warn: (m: LoadMessage) => void, overriding = false): RuleException[] | undefined {
  const e = v.keys.get('exceptions');
  if (!e) return undefined;
  if (e.node === null) return [];
  if (e.node.t !== 'seq') throw new LoadError('LOAD_ERR_YAML_VALIDATE', "Value for key 'exceptions' must be a sequence", { ...ctx, offset: e.offset });
  const out: RuleException[] = [];
  for (const it of e.node.items) {
    if (it.t !== 'map') throw new LoadError('LOAD_ERR_YAML_VALIDATE', 'Rule exception must be a mapping', { ...ctx, offset: e.offset });
    const ev = view(it, v.file);
    const ectx: Ctx = { file: v.file, itemType: 'exception', itemName: '', offset: ev.offset };
    const name = getString(ev, 'name', ectx, true)!;
    ectx.itemName = name;
    const js = toJs(it) as Record<string, unknown>;
    for (const k of Object.keys(js)) {
      if (!['name', 'fields', 'comps', 'values'].includes(k)) {
        // Falco ignores it, with a warning.
        warn(makeMessage('LOAD_UNKNOWN_KEY', `Unknown key '${k}'. The key will be ignored.`, ectx));
      }
    }
    const fields = js['fields'] as string | string[] | undefined;
    const comps = js['comps'] as string | string[] | undefined;
    const values = js['values'] === undefined || js['values'] === null ? [] : js['values'];
    if (!Array.isArray(values)) throw new LoadError('LOAD_ERR_YAML_VALIDATE', `Rule exception '${name}': values must be a sequence`, ectx);
    if (overriding && values.length === 0) warn(makeMessage('LOAD_APPEND_NO_VALUES', 'Overriding/appending exception with no values', ectx));
    out.push({ name, fields, comps, values, ctx: ectx });
  }
  return out;
}

function mergeExceptions(into: RuleException[], add: RuleException[]): void {
  for (const ex of add) {
    const cur = into.find((x) => x.name === ex.name);
    if (cur) cur.values = [...cur.values, ...ex.values];
    else into.push(ex);
  }
}

function readItem(col: Collector, node: YNode, file: SourceFile, warn: (m: LoadMessage) => void): void {
  if (node.t !== 'map') {
    throw new LoadError('LOAD_ERR_YAML_VALIDATE', 'Unexpected element type. Each element should be a yaml associative array.', {
      file, itemType: '', itemName: '', offset: node.offset,
    });
  }
  const v = view(node, file);
  const baseCtx: Ctx = { file, itemType: '', itemName: '', offset: v.offset };
  if (v.keys.has('required_engine_version')) {
    const ctx = { ...baseCtx, itemType: 'required_engine_version', itemName: '' };
    if (!v.keys.has('rule') && !v.keys.has('macro') && !v.keys.has('list')) {
      const raw = getString(v, 'required_engine_version', ctx, true)!;
      const req = /^\d+$/.test(raw) ? ([0, Number(raw), 0] as [number, number, number]) : parseVersion(raw);
      if (!req) throw new LoadError('LOAD_ERR_VALIDATE', `Unable to parse engine version '${raw}' as a semver string`, ctx);
      const eng = parseVersion(ENGINE_VERSION)!;
      if (req[0] !== eng[0] || cmpVersion(eng, req) < 0) {
        throw new LoadError('LOAD_ERR_VALIDATE', `Rules require engine version ${req.join('.')}, but engine version is ${ENGINE_VERSION}`, ctx);
      }
      return;
    }
  }
  if (v.keys.has('required_plugin_versions')) {
    const ctx = { ...baseCtx, itemType: 'required_plugin_versions', itemName: '' };
    const e = v.keys.get('required_plugin_versions')!;
    if (!e.node || e.node.t !== 'seq') throw new LoadError('LOAD_ERR_YAML_VALIDATE', 'required_plugin_versions must be a sequence', ctx);
    for (const it of toJs(e.node) as unknown[]) {
      const req = it as { name?: unknown; version?: unknown; alternatives?: { name?: unknown; version?: unknown }[] };
      if (typeof req?.name !== 'string' || req.version === undefined) {
        throw new LoadError('LOAD_ERR_YAML_VALIDATE', 'required_plugin_versions entries need a name and a version', ctx);
      }
      const candidates = [req, ...(Array.isArray(req.alternatives) ? req.alternatives : [])];
      const ok = candidates.some((c) => {
        const have = PROVIDED_PLUGINS[String(c.name)];
        const want = parseVersion(String(c.version));
        const h = have ? parseVersion(have) : undefined;
        return h !== undefined && want !== undefined && h[0] === want[0] && cmpVersion(h, want) >= 0;
      });
      if (!ok) {
        throw new LoadError('LOAD_ERR_VALIDATE', `Plugin '${req.name}' version '${String(req.version)}' is required by this ruleset but is not provided`, ctx);
      }
    }
    return;
  }
  if (v.keys.has('list')) return readList(col, v, baseCtx, warn);
  if (v.keys.has('macro')) return readMacro(col, v, baseCtx, warn);
  if (v.keys.has('rule')) return readRule(col, v, baseCtx, warn);
  const first = v.keys.keys().next().value ?? '';
  warn(makeMessage('LOAD_UNKNOWN_ITEM', `Unknown top level item '${first}'`, baseCtx));
}

/** The deprecated `append: true` key (a warning, as in Falco). */
function appendMode(v: ItemView, ctx: Ctx, warn: (m: LoadMessage) => void): { append: boolean } {
  const append = getBool(v, 'append', ctx) === true;
  if (append) warn(makeMessage('LOAD_DEPRECATED_ITEM', WARNING_APPEND, ctx));
  return { append };
}

function readList(col: Collector, v: ItemView, base: Ctx, warn: (m: LoadMessage) => void): void {
  const ctx: Ctx = { ...base, itemType: 'list', itemName: '' };
  const name = getString(v, 'list', ctx, true)!;
  ctx.itemName = name;
  warnUnknownKeys(v, LIST_KEYS, ctx, warn);
  if (!new RegExp(LIST_NAME_RE).test(name)) warn(makeMessage('LOAD_INVALID_LIST_NAME', `List has an invalid name. List names must match a regular expression: ${LIST_NAME_RE}`, ctx));
  const { append } = appendMode(v, ctx, warn);
  const ov = getOverride(v, ctx, new Set(['items']), new Set(['items']));
  if (append && ov) throw new LoadError('LOAD_ERR_VALIDATE', ERROR_OVERRIDE_APPEND, ctx);
  if (ov) checkOverrideCovers(v, ov, 'list', ctx);
  const items = getStringList(v, 'items', ctx);
  if (items === undefined) throw new LoadError('LOAD_ERR_YAML_VALIDATE', "Item has no mapping for key 'items'", ctx);
  const cur = col.lists.get(name);
  const mode = append ? 'append' : ov?.get('items');
  if (!cur && mode === 'append') throw new LoadError('LOAD_ERR_VALIDATE', ERROR_NO_PREVIOUS_LIST, ctx);
  // A replace with nothing to replace defines the list (Falco: a later definition then wins).
  if (mode && cur) {
    if (items.length === 0) warn(makeMessage('LOAD_APPEND_NO_VALUES', 'Overriding/appending list with no values', ctx));
    cur.items = mode === 'append' ? [...cur.items, ...items] : items;
    return;
  }
  if (cur) {
    cur.items = items;
    cur.ctx = ctx;
    return;
  }
  col.lists.set(name, { name, items, ctx, index: col.order++, used: false });
}

function readMacro(col: Collector, v: ItemView, base: Ctx, warn: (m: LoadMessage) => void): void {
  const ctx: Ctx = { ...base, itemType: 'macro', itemName: '' };
  const name = getString(v, 'macro', ctx, true)!;
  ctx.itemName = name;
  warnUnknownKeys(v, MACRO_KEYS, ctx, warn);
  if (!new RegExp(MACRO_NAME_RE).test(name)) warn(makeMessage('LOAD_INVALID_MACRO_NAME', `Macro has an invalid name. Macro names must match a regular expression: ${MACRO_NAME_RE}`, ctx));
  const { append } = appendMode(v, ctx, warn);
  const ov = getOverride(v, ctx, new Set(['condition']), new Set(['condition']));
  if (append && ov) throw new LoadError('LOAD_ERR_VALIDATE', ERROR_OVERRIDE_APPEND, ctx);
  if (ov) checkOverrideCovers(v, ov, 'macro', ctx);
  const condition = getString(v, 'condition', ctx, true)!;
  const condOffset = v.keys.get('condition')!.offset;
  const cur = col.macros.get(name);
  const mode = append ? 'append' : ov?.get('condition');
  if (!cur && mode === 'append') throw new LoadError('LOAD_ERR_VALIDATE', ERROR_NO_PREVIOUS_MACRO, ctx);
  // A replace with nothing to replace defines the macro (Falco: a later definition then wins).
  if (mode && cur) {
    cur.condition = mode === 'append' ? cur.condition + ' ' + condition : condition;
    return;
  }
  if (cur) {
    cur.condition = condition;
    cur.ctx = ctx;
    cur.condOffset = condOffset;
    return;
  }
  col.macros.set(name, { name, condition, ctx, condOffset, index: col.order++, used: false });
}

function readRule(col: Collector, v: ItemView, base: Ctx, warn: (m: LoadMessage) => void): void {
  const ctx: Ctx = { ...base, itemType: 'rule', itemName: '' };
  const name = getString(v, 'rule', ctx, true)!;
  ctx.itemName = name;
  warnUnknownKeys(v, RULE_KEYS, ctx, warn);
  const { append } = appendMode(v, ctx, warn);
  const ov = getOverride(v, ctx, RULE_APPENDABLE, RULE_REPLACEABLE);
  if (append && ov) throw new LoadError('LOAD_ERR_VALIDATE', ERROR_OVERRIDE_APPEND, ctx);
  if (ov) checkOverrideCovers(v, ov, 'rule', ctx);
  const cur = col.rules.get(name);
  const offset = (k: string) => v.keys.get(k)?.offset ?? ctx.offset;
  const priorityOf = (): Priority | undefined => {
    const p = getString(v, 'priority', ctx, false);
    if (p === undefined) return undefined;
    const pr = parsePriority(p);
    if (!pr) throw new LoadError('LOAD_ERR_VALIDATE', `Invalid priority '${p}'`, { ...ctx, offset: offset('priority') });
    return pr;
  };

  if (append || ov) {
    if (!cur) {
      const replaceOnly = !append && [...ov!.values()].every((m) => m === 'replace');
      throw new LoadError('LOAD_ERR_VALIDATE', replaceOnly ? ERROR_NO_PREVIOUS_RULE_REPLACE : ERROR_NO_PREVIOUS_RULE_APPEND, ctx);
    }
    const modeOf = (k: string): OverrideMode | undefined => (append ? (v.keys.has(k) ? 'append' : undefined) : ov!.get(k));
    if (append) {
      for (const k of v.keys.keys()) {
        if (k !== 'rule' && k !== 'append' && !RULE_APPENDABLE.has(k) && k !== 'enabled') {
          throw new LoadError('LOAD_ERR_VALIDATE', `Key '${k}' cannot be appended to; use 'override' with 'replace'`, { ...ctx, offset: offset(k) });
        }
      }
    }
    const text = (k: 'condition' | 'output' | 'desc'): void => {
      const m = modeOf(k);
      if (!m) return;
      const val = getString(v, k, ctx, true)!;
      cur[k] = m === 'append' ? cur[k] + ' ' + val : val;
      if (k === 'condition' && m === 'replace') cur.condOffset = offset(k);
    };
    text('condition');
    text('output');
    text('desc');
    const tm = modeOf('tags');
    if (tm) {
      const tags = getStringList(v, 'tags', ctx) ?? [];
      cur.tags = tm === 'append' ? [...new Set([...cur.tags, ...tags])] : tags;
    }
    const xm = modeOf('exceptions');
    if (xm) {
      const ex = readExceptions(v, ctx, warn, true) ?? [];
      if (xm === 'append') mergeExceptions(cur.exceptions, ex);
      else cur.exceptions = ex;
    }
    if (ov?.get('priority')) cur.priority = priorityOf()!;
    // With the deprecated append, Falco ignores `enabled` (the rule keeps its state).
    if (ov?.get('enabled')) cur.enabled = getBool(v, 'enabled', ctx)!;
    if (ov?.get('capture')) cur.capture = getBool(v, 'capture', ctx)!;
    if (ov?.get('capture_duration')) cur.captureDuration = captureDurationOf(v, ctx);
    if (ov?.get('warn_evttypes')) cur.warnEvttypes = getBool(v, 'warn_evttypes', ctx)!;
    if (ov?.get('skip-if-unknown-filter')) cur.skipIfUnknownFilter = getBool(v, 'skip-if-unknown-filter', ctx)!;
    return;
  }

  // `- rule: X \n enabled: false` on an existing rule only toggles it.
  const keys = [...v.keys.keys()].filter((k) => k !== 'rule');
  if (cur && keys.length === 1 && keys[0] === 'enabled') {
    warn(makeMessage('LOAD_DEPRECATED_ITEM', WARNING_ENABLED, ctx));
    cur.enabled = getBool(v, 'enabled', ctx)!;
    return;
  }
  const condition = getString(v, 'condition', ctx, true)!;
  const output = getString(v, 'output', ctx, true)!;
  const desc = getString(v, 'desc', ctx, true)!;
  const priority = priorityOf();
  if (!priority) throw new LoadError('LOAD_ERR_YAML_VALIDATE', "Item has no mapping for key 'priority'", ctx);
  const item: RuleItem = {
    name,
    desc,
    condition,
    output: output.trim(),
    priority,
    source: getString(v, 'source', ctx, false) ?? 'syscall',
    enabled: getBool(v, 'enabled', ctx) ?? true,
    tags: getStringList(v, 'tags', ctx) ?? [],
    exceptions: readExceptions(v, ctx, warn) ?? [],
    warnEvttypes: getBool(v, 'warn_evttypes', ctx) ?? true,
    skipIfUnknownFilter: getBool(v, 'skip-if-unknown-filter', ctx) ?? false,
    capture: getBool(v, 'capture', ctx) ?? false,
    captureDuration: captureDurationOf(v, ctx),
    ctx,
    condOffset: offset('condition'),
    outputOffset: offset('output'),
    index: cur ? cur.index : col.order++,
  };
  const seen = new Set<string>();
  for (const ex of item.exceptions) {
    if (seen.has(ex.name)) warn(makeMessage('LOAD_EXCEPTION_NAME_NOT_UNIQUE', `Multiple definitions of exception '${ex.name}' in the same rule`, ex.ctx));
    seen.add(ex.name);
  }
  col.rules.set(name, item);
}

// ---------- compile ----------

/** Above this many checks after macro expansion a condition is refused (see limitExpansion). */
export const MAX_EXPANDED_NODES = 100_000;
/** Above this nesting after macro expansion a condition is refused (the compiler recurses on it). */
export const MAX_EXPANDED_DEPTH = 1_000;

/**
 * Macros are shared by reference, so a tree after expansion is a DAG whose
 * size as a tree can double with each macro level (`m1: m0 or m0`, ...).
 * Everything after this point walks it as a tree, so its tree size and depth
 * are measured first, without recursion and once per shared node, and a
 * condition past the bounds is refused instead of compiled.
 */
export function expansionBounds(root: Expr): { nodes: number; depth: number } {
  const memo = new Map<Expr, { nodes: number; depth: number }>();
  const kids = (e: Expr): Expr[] => (e.kind === 'and' || e.kind === 'or' ? e.children : e.kind === 'not' ? [e.child] : []);
  const stack: { e: Expr; expanded: boolean }[] = [{ e: root, expanded: false }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (memo.has(top.e)) {
      stack.pop();
      continue;
    }
    if (!top.expanded) {
      top.expanded = true;
      for (const k of kids(top.e)) if (!memo.has(k)) stack.push({ e: k, expanded: false });
      continue;
    }
    let nodes = 1;
    let depth = 0;
    for (const k of kids(top.e)) {
      const r = memo.get(k)!;
      nodes = Math.min(Number.MAX_SAFE_INTEGER, nodes + r.nodes);
      depth = Math.max(depth, r.depth);
    }
    memo.set(top.e, { nodes, depth: depth + 1 });
    stack.pop();
  }
  return memo.get(root)!;
}

/** An item of a list as a value: a quoted item ('"a b"') stands for its content. */
function listItemValue(item: string): { value: string; quoted: boolean } {
  const q = item[0];
  if ((q === '"' || q === "'") && item.length >= 2 && item[item.length - 1] === q) {
    try {
      return { value: unescapeQuoted(item), quoted: true };
    } catch {
      // not a well-formed quoted string: the item stands as written
    }
  }
  return { value: item, quoted: false };
}

/**
 * Replaces list names among the values of list operators by the lists'
 * items, on the tree (as Falco does): an empty list leaves no empty item
 * behind, and items need no quoting. A bare identifier where a list is
 * expected (`in my_list`, `= oneof my_list`) must name a list.
 */
export function resolveLists(e: Expr, lists: Map<string, { values: { value: string; quoted: boolean }[]; mark(): void }>): Expr {
  switch (e.kind) {
    case 'and':
    case 'or':
      return { kind: e.kind, children: e.children.map((c) => resolveLists(c, lists)) };
    case 'not':
      return { kind: 'not', child: resolveLists(e.child, lists) };
    case 'binary': {
      if (e.value.kind !== 'list') return e;
      const v = e.value;
      if (v.name !== undefined && !lists.has(v.name)) throw new CompileError(`'${v.name}' is not a list: expected a list or a list name after '${e.op}${e.modifier ? ' ' + e.modifier : ''}'`);
      let hit = false;
      const values: { value: string; quoted: boolean }[] = [];
      for (const x of v.values) {
        const l = x.quoted ? undefined : lists.get(x.value);
        if (l) {
          hit = true;
          l.mark();
          for (const y of l.values) values.push(y);
        } else values.push(x);
      }
      return hit ? { ...e, value: { kind: 'list', values } } : e;
    }
    default:
      return e;
  }
}

const LIST_COMPS = new Set(['in', 'intersects', 'pmatch']);
const VALID_COMPS = new Set([
  '=', '==', '!=', '<', '<=', '>', '>=', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith',
  'endswith', 'glob', 'iglob', 'regex', 'pmatch', 'in', 'intersects',
]);

/** `startswith oneof`, `= anyof`, ...: an operator and a list modifier, compared with a list. */
function isModifierComp(comp: string): boolean {
  const [op, mod, ...rest] = comp.trim().split(/\s+/);
  return rest.length === 0 && mod !== undefined && MODIFIER_OPS.has(op!) && (mod === 'oneof' || mod === 'anyof' || mod === 'allof');
}
const MODIFIER_OPS = new Set(['=', '==', '!=', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'regex']);
const validComp = (c: string) => VALID_COMPS.has(c) || isModifierComp(c);
const listComp = (c: string) => LIST_COMPS.has(c) || isModifierComp(c);

function exceptionValue(v: unknown, comp: string, listNames: Set<string>): string {
  if (listComp(comp)) {
    if (Array.isArray(v)) return '(' + v.map((x) => exceptionValue(x, '=', listNames)).join(', ') + ')';
    const s = String(v);
    if (listNames.has(s)) return `(${s})`;
    return `(${quoteValue(s)})`;
  }
  const s = String(v);
  return listNames.has(s) ? s : quoteValue(s);
}

/** Builds the exception clause text (`f1 c1 v1 and ...` groups joined by `or`), or '' when none. */
export function exceptionsText(exceptions: RuleException[], listNames: Set<string>): string {
  const clauses: string[] = [];
  for (const ex of exceptions) {
    const err = (msg: string) => new LoadError('LOAD_ERR_VALIDATE', `Rule exception item ${ex.name}: ${msg}`, ex.ctx);
    if (ex.fields === undefined) throw err('must have a fields property with a list of fields');
    if (Array.isArray(ex.fields)) {
      const comps = ex.comps === undefined ? ex.fields.map(() => '=') : ex.comps;
      if (!Array.isArray(comps)) throw err('fields and comps must both be lists or both be strings');
      if (comps.length !== ex.fields.length) throw err('fields and comps lists must have equal length');
      for (const c of comps) if (!validComp(String(c))) throw err(`comparison operator ${String(c)} is not a supported comparison operator`);
      for (const f of ex.fields) checkExceptionField(String(f), err);
      for (const tuple of ex.values) {
        if (!Array.isArray(tuple)) throw err('values must be lists of values, one per field');
        if (tuple.length !== ex.fields.length) throw err('fields and values lists must have equal length');
        const parts = ex.fields.map((f, i) => `${String(f)} ${String(comps[i])} ${exceptionValue(tuple[i], String(comps[i]), listNames)}`);
        clauses.push(parts.length === 1 ? parts[0]! : '(' + parts.join(' and ') + ')');
      }
    } else {
      const comp = ex.comps === undefined ? 'in' : ex.comps;
      if (Array.isArray(comp)) throw err('fields and comps must both be lists or both be strings');
      if (!validComp(comp)) throw err(`comparison operator ${comp} is not a supported comparison operator`);
      checkExceptionField(ex.fields, err);
      if (ex.values.length === 0) continue;
      if (listComp(comp)) {
        clauses.push(`${ex.fields} ${comp} (${ex.values.map((x) => exceptionValue(x, '=', listNames)).join(', ')})`);
      } else {
        for (const x of ex.values) clauses.push(`${ex.fields} ${comp} ${exceptionValue(x, comp, listNames)}`);
      }
    }
  }
  return clauses.length ? clauses.join(' or ') : '';
}

function checkExceptionField(f: string, err: (m: string) => LoadError): void {
  let ok = false;
  try {
    const fe = parseField(f);
    ok = fe.kind !== 'field' || resolveField(fe.name, fe.arg) !== undefined;
  } catch {
    ok = false;
  }
  if (!ok) throw err(`field name ${f} is not a supported filter field`);
}

export interface LoadOutput {
  rules: CompiledRule[];
  results: FileLoadResult[];
  /** false: messages were made without the position-keeping parser (lines are not exact). */
  positions?: false;
}

/**
 * Reads and compiles rule files stacked in order. Returns every compiled
 * rule (enabled or not) and the per-file results.
 */
export function loadFiles(files: { name: string; content: string }[], ctxFields: FieldContext, positions?: PositionParser): LoadOutput {
  // Bad input never escapes as an exception (a stack trace, a dead agent):
  // an oversized file, or anything the loader did not foresee, is an error
  // in the results.
  const big = files.filter((f) => f.content.length > MAX_RULES_FILE_BYTES);
  if (big.length) {
    return failed(files, 'LOAD_ERR_FILE_READ', (_f, i) =>
      big.includes(files[i]!) ? `Could not read file ${files[i]!.name}: ${files[i]!.content.length} characters, more than the limit of ${MAX_RULES_FILE_BYTES}` : undefined);
  }
  try {
    return loadFilesChecked(files, ctxFields, positions);
  } catch (e) {
    const msg = e instanceof RangeError ? `rules too large or too deeply nested to load (${e.message})` : `internal error while loading the rules: ${(e as Error)?.message ?? String(e)}`;
    return failed(files, 'LOAD_ERR_VALIDATE', (_f, i) => (i === 0 ? msg : undefined));
  }
}

/** Results where the given files failed with one message each (others fail without one). */
function failed(files: { name: string }[], code: string, message: (f: { name: string }, i: number) => string | undefined): LoadOutput {
  const results = files.map((f, i) => {
    const m = message(f, i);
    const errors: LoadMessage[] = m === undefined ? [] : [{ code, codedesc: CODE_DESC[code] ?? code, message: m, context: { locations: [{ item_type: 'rules content', item_name: '', position: { name: f.name, line: 0, column: 0, offset: 0 } }], snippet: '' } }];
    return withSchema({ name: f.name, successful: false, errors, warnings: [] });
  });
  return { rules: [], results };
}

function loadFilesChecked(files: { name: string; content: string }[], ctxFields: FieldContext, positions: PositionParser | undefined): LoadOutput {
  // Start-up cost: js-yaml reads a rules file about 5x faster than the
  // position-keeping parser. Positions only appear in errors and warnings, so
  // a load that yields none is final; anything else (including a file the
  // fast parser rejects) is loaded again with positions, when the caller
  // gave that parser (src/rules/yaml-positions.ts), and that answer wins.
  let fast: LoadOutput | undefined;
  try {
    fast = loadFilesWith(files, ctxFields, true);
  } catch (e) {
    if (!(e instanceof FastParseFailed)) throw e;
  }
  if (fast && fast.results.every((r) => r.errors.length === 0 && r.warnings.length === 0)) return fast;
  if (positions) return loadFilesWith(files, ctxFields, false, positions);
  if (fast) return { ...fast, positions: false };
  // The fast parser refused a file and no other parser was given.
  return {
    ...failed(files, 'LOAD_ERR_YAML_PARSE', (_f, i) => (i === 0 ? 'Invalid yaml (load the position-keeping parser, src/rules/yaml-positions.ts, for details)' : undefined)),
    positions: false,
  };
}

class FastParseFailed extends Error {}

const MAYBE_ALIAS = /^(?![ \t]*#)[^\n]*?(?:^|[\s[{,:])\*/m;

/** The documents of a file as a tree without positions (see loadFiles). */
function fastDocuments(content: string): (YNode | null)[] {
  // js-yaml resolves aliases, the position-keeping path rejects them: a file
  // that may hold one (a '*' starting a token outside a comment line; false
  // positives only cost time) takes the other path, so both agree.
  if (MAYBE_ALIAS.test(content)) throw new FastParseFailed();
  const docs: unknown[] = [];
  try {
    fastLoadAll(content, (d) => docs.push(d), { schema: CORE_SCHEMA });
  } catch {
    throw new FastParseFailed();
  }
  return docs.map((d) => (d === undefined ? null : fromJs(d)));
}

/**
 * One load with one parser: `fast` (js-yaml, no positions) or with positions
 * (the position parser given). Exported for tests.
 */
export function loadFilesWith(files: { name: string; content: string }[], ctxFields: FieldContext, fast: boolean, positions?: PositionParser): LoadOutput {
  if (!fast && !positions) throw new Error('no position-keeping parser given (src/rules/yaml-positions.ts parseWithPositions)');
  const results: FileLoadResult[] = files.map((f) => ({ name: f.name, successful: true, errors: [], warnings: [] }));
  const byFile = new Map<string, FileLoadResult>();
  files.forEach((f, i) => byFile.set(f.name, results[i]!));
  const resultOf = (ctx: Ctx): FileLoadResult => byFile.get(ctx.file.name) ?? results[0]!;
  const warn = (m: LoadMessage) => (byFile.get(m.context.locations[0]!.position.name) ?? results[0]!).warnings.push(m);
  const error = (e: LoadError) => resultOf(e.ctx).errors.push(makeMessage(e.code, e.message, e.ctx, e.extra));

  const col: Collector = { lists: new Map(), macros: new Map(), rules: new Map(), order: 0 };
  let readFailed = false;
  for (const f of files) {
    const file: SourceFile = { name: f.name, content: f.content, lines: new LineIndex(f.content) };
    let roots: (YNode | null)[];
    if (fast) {
      roots = fastDocuments(f.content);
    } else {
      const parsed = positions!(f.content);
      if ('error' in parsed) {
        error(new LoadError('LOAD_ERR_YAML_PARSE', parsed.error.message, { file, itemType: '', itemName: '', offset: parsed.error.offset }));
        readFailed = true;
        continue;
      }
      roots = parsed.roots;
    }
    try {
      for (const root of roots) {
        if (root === null || (root.t === 'scalar' && (root.value === null || root.value === ''))) continue;
        if (root.t !== 'seq') {
          const msg = root.t === 'scalar' ? 'Rules content is not yaml' : 'Rules content is not yaml array of objects';
          throw new LoadError('LOAD_ERR_YAML_VALIDATE', msg, { file, itemType: '', itemName: '', offset: root.offset });
        }
        for (const it of root.items) readItem(col, it, file, warn);
      }
    } catch (e) {
      if (!(e instanceof LoadError)) throw e;
      error(e);
      readFailed = true;
    }
  }
  if (readFailed) {
    for (const r of results) withSchema(Object.assign(r, { successful: r.errors.length === 0 }));
    return { rules: [], results };
  }

  // Lists: items naming an earlier list expand inline.
  const lists = [...col.lists.values()].sort((a, b) => a.index - b.index);
  const expanded = new Map<string, string[]>();
  for (const l of lists) {
    const items: string[] = [];
    for (const it of l.items) {
      const sub = expanded.get(it);
      const src = col.lists.get(it);
      if (sub && src) {
        src.used = true;
        // a loop, not push(...sub): spreading 100k+ items overflows the stack
        for (const x of sub) items.push(x);
      } else items.push(it);
    }
    expanded.set(l.name, items);
  }
  const listSubs = new Map<string, { values: { value: string; quoted: boolean }[]; mark(): void }>();
  for (const l of lists) listSubs.set(l.name, { values: expanded.get(l.name)!.map(listItemValue), mark: () => (l.used = true) });
  const listNames = new Set(col.lists.keys());

  // Macros, in order; each sees the macros defined before it.
  const macros = [...col.macros.values()].sort((a, b) => a.index - b.index);
  const macroTrees = new Map<string, { tree: Expr; index: number }>();
  for (const m of macros) {
    try {
      let tree: Expr;
      try {
        tree = resolveLists(parseCondition(m.condition), listSubs);
      } catch (e) {
        if (!(e instanceof ParseError) && !(e instanceof CompileError)) throw e;
        throw new LoadError('LOAD_ERR_COMPILE_CONDITION', e.message, m.ctx, [conditionLocation(m.ctx, m.condOffset, m.condition, e instanceof ParseError ? e.pos : 0)]);
      }
      tree = expandMacros(tree, (name) => {
        const t = macroTrees.get(name);
        const it = col.macros.get(name);
        if (t && it) it.used = true;
        return t && t.index < m.index ? t.tree : undefined;
      });
      macroTrees.set(m.name, { tree, index: m.index });
    } catch (e) {
      if (e instanceof LoadError) error(e);
      else if (e instanceof CompileError) error(new LoadError('LOAD_ERR_VALIDATE', e.message, m.ctx, [conditionLocation(m.ctx, m.condOffset, m.condition)]));
      else throw e;
    }
  }

  const compiled: CompiledRule[] = [];
  const rules = [...col.rules.values()].sort((a, b) => a.index - b.index);
  for (const r of rules) {
    if (r.source !== 'syscall') {
      warn(makeMessage('LOAD_UNKNOWN_SOURCE', `Unknown source ${r.source}, skipping`, r.ctx));
      continue;
    }
    try {
      const exText = exceptionsText(r.exceptions, listNames);
      const full = exText ? `(${r.condition}) and not (${exText})` : r.condition;
      const text = full;
      let tree: Expr;
      try {
        tree = resolveLists(parseCondition(text), listSubs);
      } catch (e) {
        if (!(e instanceof ParseError) && !(e instanceof CompileError)) throw e;
        throw new LoadError('LOAD_ERR_COMPILE_CONDITION', e.message, r.ctx, [conditionLocation(r.ctx, r.condOffset, text, e instanceof ParseError ? e.pos : 0)]);
      }
      try {
        tree = expandMacros(tree, (name) => {
          const it = col.macros.get(name);
          if (it) it.used = true;
          return macroTrees.get(name)?.tree;
        });
      } catch (e) {
        if (e instanceof CompileError) throw new LoadError('LOAD_ERR_VALIDATE', e.message, r.ctx, [conditionLocation(r.ctx, r.condOffset, r.condition)]);
        throw e;
      }
      const bounds = expansionBounds(tree);
      if (bounds.nodes > MAX_EXPANDED_NODES || bounds.depth > MAX_EXPANDED_DEPTH) {
        const what = bounds.nodes > MAX_EXPANDED_NODES ? `${bounds.nodes} nodes (limit ${MAX_EXPANDED_NODES})` : `a nesting depth of ${bounds.depth} (limit ${MAX_EXPANDED_DEPTH})`;
        throw new LoadError('LOAD_ERR_COMPILE_CONDITION', `Condition too complex: after macro expansion it has ${what}; the rule is not compiled`, r.ctx, [conditionLocation(r.ctx, r.condOffset, r.condition)]);
      }
      let match: Predicate;
      const evttypes = inferEventTypes(tree);
      try {
        match = generateRule(tree, ctxFields, evttypes === 'all' ? undefined : evttypes);
      } catch (e) {
        if (!(e instanceof CompileError)) throw e;
        if (e.unknownField && r.skipIfUnknownFilter) {
          warn(makeMessage('LOAD_UNKNOWN_FILTER', `Rule ${r.name}: ${e.message}. Skipping rule.`, r.ctx));
          continue;
        }
        throw new LoadError('LOAD_ERR_COMPILE_CONDITION', e.message, r.ctx, [conditionLocation(r.ctx, r.condOffset, r.condition)]);
      }
      let output: CompiledOutput;
      try {
        output = compileOutput(r.output, ctxFields);
      } catch (e) {
        if (!(e instanceof CompileError) && !(e instanceof ParseError)) throw e;
        throw new LoadError('LOAD_ERR_COMPILE_OUTPUT', e.message, r.ctx, [
          { item_type: 'rule output', item_name: '', position: position({ file: r.ctx.file, offset: r.outputOffset }) },
        ]);
      }
      const deprecated = new Set(collectFields(tree).filter((f) => f.kind === 'field' && DEPRECATED_FIELDS[f.name] !== undefined).map((f) => (f as { name: string }).name));
      for (const f of deprecated) warn(makeMessage('LOAD_DEPRECATED_ITEM', `${f} field is deprecated: ${DEPRECATED_FIELDS[f]}`, r.ctx, [conditionLocation(r.ctx, r.condOffset, r.condition)]));
      if (evttypes === 'all' && r.warnEvttypes) {
        warn(makeMessage('LOAD_NO_EVTTYPE', `Rule matches too many evt.type values. This has a significant performance penalty.`, r.ctx));
      }
      compiled.push({
        name: r.name,
        desc: r.desc,
        condition: r.condition,
        compiledCondition: text,
        outputFormat: r.output,
        priority: r.priority,
        source: r.source,
        tags: r.tags,
        enabled: r.enabled,
        evttypes,
        index: r.index,
        match,
        output,
        fields: [...new Set([...collectFields(tree).map(fieldAsString), ...output.fields.map((f) => f.text)])],
        tree,
      });
    } catch (e) {
      if (e instanceof LoadError) error(e);
      else throw e;
    }
  }
  for (const m of macros) if (!m.used) warn(makeMessage('LOAD_UNUSED_MACRO', `Macro not referred to by any other rule/macro`, m.ctx));
  for (const l of lists) if (!l.used) warn(makeMessage('LOAD_UNUSED_LIST', `List not referred to by any other rule/macro`, l.ctx));
  for (const r of results) withSchema(Object.assign(r, { successful: r.errors.length === 0 }));
  return { rules: compiled, results };
}

/**
 * The "condition expression" location as Falco builds it: named after the
 * condition's first characters, at the parser's position (1-based line and
 * column within the condition) added to the condition value's (0-based) one.
 */
function conditionLocation(ctx: Ctx, offset: number, condition = '', parsePos = 0): Location {
  const base = position({ file: ctx.file, offset });
  const name = ('"' + (condition.length > 20 ? condition.slice(0, 17) + '..."' : condition + '"')).replace(/[\r\n]/g, ' ');
  let line = 1;
  let col = 1;
  for (let i = 0; i < parsePos && i < condition.length; i++) {
    if (condition[i] === '\n' || condition[i] === '\r') {
      line++;
      col = 1;
    } else col++;
  }
  return { item_type: 'condition expression', item_name: '', position: { name, line: base.line + line, column: base.column + col, offset: base.offset + parsePos } };
}
