// The loader's view of a rules file: a small tree with source offsets, made
// either from js-yaml's plain values (fast, offsets 0) or by yaml-positions.ts
// from the `yaml` package's AST (offsets kept, for messages). Neither this
// file nor the loader imports a YAML library's node classes, so the agent's
// start-up does not load the `yaml` package unless a message needs positions.

export type YNode =
  | { t: 'map'; pairs: YPair[]; offset: number }
  | { t: 'seq'; items: YNode[]; offset: number }
  | { t: 'scalar'; value: unknown; offset: number }
  /** Anything else (an alias in the position-keeping parser). */
  | { t: 'other'; offset: number };

export interface YPair {
  key: string;
  keyOffset: number;
  value: YNode | null;
}

/** js-yaml's output (CORE_SCHEMA: plain objects, arrays, scalars) as a tree without positions. */
export function fromJs(v: unknown): YNode {
  if (Array.isArray(v)) return { t: 'seq', items: v.map(fromJs), offset: 0 };
  if (v !== null && typeof v === 'object') {
    const pairs: YPair[] = [];
    for (const [key, val] of Object.entries(v)) pairs.push({ key, keyOffset: 0, value: val === null ? { t: 'scalar', value: null, offset: 0 } : fromJs(val) });
    return { t: 'map', pairs, offset: 0 };
  }
  return { t: 'scalar', value: v, offset: 0 };
}

/** The plain value of a subtree (what yaml's toJSON() gave). */
export function toJs(n: YNode | null): unknown {
  if (n === null) return null;
  switch (n.t) {
    case 'scalar':
      return n.value;
    case 'seq':
      return n.items.map(toJs);
    case 'map':
      return Object.fromEntries(n.pairs.map((p) => [p.key, toJs(p.value)]));
    default:
      return undefined;
  }
}

/** 1-based line and column of an offset (as yaml's LineCounter gives them). */
export class LineIndex {
  private starts: number[] | undefined;
  constructor(private readonly content: string) {}
  linePos(offset: number): { line: number; col: number } {
    if (!this.starts) {
      this.starts = [0];
      for (let i = this.content.indexOf('\n'); i >= 0; i = this.content.indexOf('\n', i + 1)) this.starts.push(i + 1);
    }
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.starts[lo]! + 1 };
  }
}

/** A parser that keeps positions: documents' roots, or the first syntax error. */
export type PositionParser = (content: string) => { roots: (YNode | null)[] } | { error: { message: string; offset: number } };
