// The position-keeping reader of rules files (the `yaml` package), for
// messages with lines and columns: pass parseWithPositions to a load
// (LoadOptions.positions). The agent imports it only when a load has
// something to report (loadRuleFilesReporting); tools and the orchestrator
// at start. Importing it changes nothing by itself.
import { parseAllDocuments, isMap, isScalar, isSeq, type Node } from 'yaml';
import type { PositionParser, YNode } from './yaml-tree.js';

function convert(n: Node | null | undefined): YNode | null {
  if (n === null || n === undefined) return null;
  const offset = n.range?.[0] ?? 0;
  if (isScalar(n)) return { t: 'scalar', value: n.value, offset };
  if (isSeq(n)) return { t: 'seq', items: n.items.map((it) => convert(it as Node) ?? { t: 'scalar', value: null, offset }), offset };
  if (isMap(n)) {
    return {
      t: 'map',
      offset,
      pairs: n.items.map((p) => {
        const key = isScalar(p.key) ? String(p.key.value) : String(p.key);
        const keyOffset = (p.key as Node | null)?.range?.[0] ?? offset;
        return { key, keyOffset, value: convert(p.value as Node | null) };
      }),
    };
  }
  return { t: 'other', offset };
}

export const parseWithPositions: PositionParser = (content) => {
  const docs = parseAllDocuments(content, { prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  const err = list.flatMap((d) => d.errors)[0];
  if (err) return { error: { message: err.message.split('\n')[0]!, offset: err.pos[0] } };
  return { roots: list.map((d) => convert(d.contents as Node | null)) };
};

