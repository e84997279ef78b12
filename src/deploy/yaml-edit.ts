// Editing a YAML document as text, with the `yaml` package's parse (node
// ranges into the source) as the map: a block list's items are replaced or
// appended by splicing their text, so every byte outside them stays. Also
// the reading of YAML nodes as plain values (tagged nodes kept opaque, merge
// keys applied) and as CloudFormation reads them (short forms in long form).

import { Document, isAlias, isMap, isScalar, isSeq, type Node } from 'yaml';
import { isObj, isOpaque, opaque, sameValue, type Obj, type Value } from './taskdef.js';

/** A YAML node -> plain values, short-form intrinsics in their long form (`!Ref X` -> {Ref: X}), as CloudFormation reads them. */
export function longForm(node: unknown, doc: Document): Value {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return longForm(node.resolve(doc), doc);
  const n = node as Node;
  const inner = (): Value => {
    if (isScalar(n)) return (n.value ?? null) as Value;
    if (isSeq(n)) return n.items.map((i) => longForm(i, doc));
    if (isMap(n)) return Object.fromEntries(n.items.map((p) => [String(isScalar(p.key) ? p.key.value : p.key), longForm(p.value, doc)]));
    return null;
  };
  const tag = n.tag;
  if (!tag || !tag.startsWith('!') || tag.startsWith('!!')) return inner();
  const name = tag.slice(1);
  const v = inner();
  if (name === 'Ref' || name === 'Condition') return { [name]: v };
  if (name === 'GetAtt' && typeof v === 'string') {
    const dot = v.indexOf('.');
    return { 'Fn::GetAtt': dot < 0 ? [v] : [v.slice(0, dot), v.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: v };
}


function isMergeKey(key: unknown): boolean {
  const v = isScalar(key) ? key.value : key;
  return v === '<<' || (typeof v === 'symbol' && v.description === '<<');
}

/**
 * A YAML node as plain values. Tagged nodes (`!Ref X`, `!Sub [...]`) become
 * opaque: carried, never looked into. Aliases are resolved; merge keys
 * (`<<: *base`, `<<: [*a, *b]`) are applied (explicit keys win, then the
 * first source).
 */
export function toValue(node: unknown, doc: Document): Value {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return toValue(node.resolve(doc), doc);
  const n = node as Node;
  if (n.tag && n.tag.startsWith('!') && !n.tag.startsWith('!!')) return opaque(n);
  if (isScalar(n)) {
    const v = n.value;
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    return opaque(n); // dates, binaries...: keep the node
  }
  if (isSeq(n)) return n.items.map((i) => toValue(i, doc));
  if (isMap(n)) {
    const out: Obj = {};
    const merged: Obj[] = [];
    for (const pair of n.items) {
      if (isMergeKey(pair.key)) {
        const src = toValue(pair.value, doc);
        for (const m of Array.isArray(src) ? src : [src]) if (isObj(m)) merged.push(m);
        continue;
      }
      const k = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof k !== 'string' && typeof k !== 'number') return opaque(n);
      out[String(k)] = toValue(pair.value, doc);
    }
    // Merged keys first (the first source wins), explicit keys over them.
    const base: Obj = {};
    for (const m of merged) for (const [k, v] of Object.entries(m)) if (!(k in base)) base[k] = v;
    return merged.length ? { ...base, ...out } : out;
  }
  return opaque(n);
}

/** Plain values back into something `new Document` takes (nodes are reused as they are). */
export function fromValue(v: Value): unknown {
  if (isOpaque(v)) return v.opaque;
  if (Array.isArray(v)) return v.map(fromValue);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromValue(x)]));
  return v;
}

const KEEP = (i: number) => `__draios_keep_${i}__`;

/**
 * An edited container for rendering: each key whose value it keeps as it was
 * becomes a placeholder, replaced after rendering by the original text of the
 * pair (see `render`), so that it stays byte-for-byte.
 */
function keepPairs(text: string, after: Value, item: unknown, before: Value): { value: unknown; kept: string[] } {
  const kept: string[] = [];
  if (!isObj(after) || !isObj(before) || !isMap(item)) return { value: fromValue(after), kept };
  const pairs = new Map<string, string>();
  for (const pair of item.items) {
    const k = pair.key as Node | null;
    const v = pair.value as Node | null;
    if (!isScalar(k) || typeof k.value !== 'string' || !k.range || !v?.range) continue;
    pairs.set(k.value, text.slice(k.range[0], valueEnd(text, v)));
  }
  const value = Object.fromEntries(
    Object.entries(after).map(([k, v]) => {
      if (!pairs.has(k) || !sameValue(before[k], v)) return [k, fromValue(v)];
      kept.push(pairs.get(k)!);
      return [KEEP(kept.length - 1), 0];
    }),
  );
  return { value, kept };
}

/**
 * `value` as YAML text whose lines after the first are indented by `indent`
 * spaces, the placeholders of `keepPairs` replaced by the original pairs
 * (which start at that same column, so their own lines fit as they are).
 */
function render(value: unknown, indent: number, kept: string[] = []): string {
  const text = new Document(value, { aliasDuplicateObjects: false }).toString({ lineWidth: 0 });
  const pad = ' '.repeat(indent);
  return text
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => {
      const m = /^__draios_keep_(\d+)__: 0$/.exec(line);
      return m ? kept[Number(m[1])]! : line;
    })
    .map((line, i) => (i === 0 || line === '' ? line : pad + line))
    .join('\n');
}

/** Where a value's text ends, with a comment on the same line. */
function valueEnd(text: string, v: Node): number {
  let end = v.range![1];
  while (end > v.range![0] && /\s/.test(text[end - 1]!)) end--;
  const rest = /^[ \t]*#[^\n]*/.exec(text.slice(end));
  return rest ? end + rest[0].length : end;
}

/** The end of a block mapping's last value (its trailing comment lines excluded). */
function contentEnd(text: string, map: { items: { value: unknown }[] }, fallback: number): number {
  let end = -1;
  for (const pair of map.items) {
    const v = pair.value as Node | null;
    if (v?.range) end = Math.max(end, valueEnd(text, v));
  }
  return end < 0 ? fallback : end;
}

export interface Edit {
  start: number;
  end: number;
  text: string;
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}

/**
 * The edits that turn the block sequence `seq` (whose values were `before`)
 * into `after`, or undefined when it is not a block sequence laid out as
 * `- item` lines (then the caller re-renders the document).
 */
export function sequenceEdits(text: string, seq: unknown, before: Value[], after: Value[]): Edit[] | undefined {
  if (isSeq(seq) && seq.flow && seq.range) {
    // `ContainerDefinitions: [...]` on its key's line: that list alone becomes a block list under the key.
    const [start, end] = seq.range;
    const line = text.slice(lineStart(text, start), start);
    const keyColumn = line.length - line.trimStart().length;
    if (!/^\s*[\w"']+\s*:\s*$/.test(line)) return undefined;
    const pad = ' '.repeat(keyColumn + 2);
    let stop = end;
    while (stop > start && /\s/.test(text[stop - 1]!)) stop--;
    const blanks = line.length - line.trimEnd().length;
    return [{ start: start - blanks, end: stop, text: `\n${pad}${render(fromValue(after), keyColumn + 2)}` }];
  }
  if (!isSeq(seq) || seq.items.length === 0 || seq.items.length !== before.length) return undefined;
  const edits: Edit[] = [];
  let last: { end: number; prefix: string } | undefined;
  for (const [i, item] of seq.items.entries()) {
    const range = (item as Node).range;
    if (!range) return undefined;
    const [start, end] = range;
    const prefix = text.slice(lineStart(text, start), start);
    if (!/^ *- +$/.test(prefix) && !/^ +$/.test(prefix)) return undefined;
    if (!sameValue(before[i], after[i])) {
      if (!isMap(item) || isAlias(item)) return undefined;
      // Up to the end of the last value (and its comment): comment lines after it stay.
      const { value, kept } = keepPairs(text, after[i]!, item, before[i]!);
      edits.push({ start, end: contentEnd(text, item, end), text: render(value, prefix.length, kept) });
    }
    if (/^ *- +$/.test(prefix)) last = { end, prefix };
  }
  if (after.length > before.length) {
    if (!last) return undefined;
    const lastEnd = (seq.items[seq.items.length - 1] as Node).range![1];
    const nl = text[lastEnd - 1] === '\n' ? '' : '\n';
    const added = after.slice(before.length).map((v) => `${last!.prefix}${render(fromValue(v), last!.prefix.length)}\n`);
    edits.push({ start: lastEnd, end: lastEnd, text: nl + added.join('') });
  }
  return edits;
}

