// Finding the task definitions in a document and writing it back: the JSON of
// `aws ecs register-task-definition` (or of describe-task-definition), a
// CloudFormation template in JSON, or one in YAML with its short-form
// intrinsics (`!Ref`, `!GetAtt`, `!Sub`...) kept as they were.
//
// YAML goes through the `yaml` package's Document API: only the
// ContainerDefinitions node of each task definition that changes is rebuilt;
// the rest of the document (comments, tags, order) is left alone. Inside the
// rebuilt node, tagged nodes are moved over as they are (see `toValue`).

import { Document, isAlias, isMap, isScalar, isSeq, parseDocument, Scalar, type Node } from 'yaml';
import { instrumentContainers, isObj, isOpaque, opaque, sameValue, type InstrumentOptions, type KeyCase, type Obj, type Value } from './taskdef.js';

export const TASK_DEFINITION_TYPE = 'AWS::ECS::TaskDefinition';

/** What `instrumentDocument` found and did. */
export interface InstrumentResult {
  text: string;
  format: 'json' | 'yaml';
  /** Where the task definitions were, e.g. `Resources.TestApp` or `(task definition)`. */
  taskDefinitions: string[];
}

/** Instruments every task definition of `text`. Throws InstrumentError or Error. */
export function instrumentDocument(text: string, opts: InstrumentOptions): InstrumentResult {
  if (/^\s*[{[]/.test(text)) {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    if (data !== undefined) return instrumentJson(data as Value, opts);
  }
  return instrumentYaml(text, opts);
}

interface Site {
  where: string;
  kc: KeyCase;
  /** The mapping holding ContainerDefinitions, and its path from the root. */
  holder: Obj;
  path: (string | number)[];
}

/** Every task definition in a document given as plain values. */
function findSites(root: Value): Site[] {
  if (!isObj(root)) throw new Error('the document is not a mapping: expected a task definition or a CloudFormation template');
  // ECS API: register-task-definition input, or describe-task-definition output.
  if ('containerDefinitions' in root) return [{ where: 'task definition', kc: 'camel', holder: root, path: [] }];
  const td = root['taskDefinition'];
  if (isObj(td) && 'containerDefinitions' in td) return [{ where: 'taskDefinition', kc: 'camel', holder: td, path: ['taskDefinition'] }];
  // CloudFormation: a template (Resources) or a bare fragment of resources.
  const resources = isObj(root['Resources']) ? root['Resources'] : root;
  const base = resources === root ? [] : ['Resources'];
  const sites: Site[] = [];
  for (const [name, res] of Object.entries(resources)) {
    if (!isObj(res) || res['Type'] !== TASK_DEFINITION_TYPE) continue;
    const props = res['Properties'];
    if (!isObj(props)) throw new Error(`${[...base, name].join('.')}: a task definition without Properties`);
    sites.push({ where: [...base, name].join('.'), kc: 'pascal', holder: props, path: [...base, name, 'Properties'] });
  }
  if (sites.length === 0) {
    throw new Error(
      `no task definition found: expected containerDefinitions (ECS JSON) or a resource of Type ${TASK_DEFINITION_TYPE} (CloudFormation)`,
    );
  }
  return sites;
}

function key(kc: KeyCase): string {
  return kc === 'pascal' ? 'ContainerDefinitions' : 'containerDefinitions';
}

function instrumentJson(data: Value, opts: InstrumentOptions): InstrumentResult {
  const sites = findSites(data);
  for (const s of sites) s.holder[key(s.kc)] = instrumentContainers(s.holder[key(s.kc)] ?? [], s.kc, opts, s.where);
  return { text: JSON.stringify(data, null, 2) + '\n', format: 'json', taskDefinitions: sites.map((s) => s.where) };
}

function instrumentYaml(text: string, opts: InstrumentOptions): InstrumentResult {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length) throw new Error(`not valid YAML or JSON: ${doc.errors[0]!.message}`);
  const sites = findSites(toValue(doc.contents));
  for (const s of sites) {
    const before = s.holder[key(s.kc)] ?? [];
    const after = instrumentContainers(before, s.kc, yamlOptions(opts), s.where);
    if (!sameValue(before, after)) doc.setIn([...s.path, key(s.kc)], doc.createNode(fromValue(after), { aliasDuplicateObjects: false }));
  }
  return { text: doc.toString({ lineWidth: 0 }), format: 'yaml', taskDefinitions: sites.map((s) => s.where) };
}

/**
 * A YAML node as plain values. Tagged nodes (`!Ref X`, `!Sub [...]`) and
 * aliases become opaque: they are carried, never looked into.
 */
export function toValue(node: unknown): Value {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return opaque(node);
  const n = node as Node;
  if (n.tag && n.tag.startsWith('!') && !n.tag.startsWith('!!')) return opaque(n);
  if (isScalar(n)) {
    const v = n.value;
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    return opaque(n); // dates, binaries...: keep the node
  }
  if (isSeq(n)) return n.items.map((i) => toValue(i));
  if (isMap(n)) {
    const out: Obj = {};
    for (const pair of n.items) {
      const k = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof k !== 'string' && typeof k !== 'number') return opaque(n);
      out[String(k)] = toValue(pair.value);
    }
    return out;
  }
  return opaque(n);
}

/** Plain values back into something `doc.createNode` takes (nodes are reused as they are). */
function fromValue(v: Value): unknown {
  if (isOpaque(v)) return v.opaque;
  if (Array.isArray(v)) return v.map(fromValue);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromValue(x)]));
  return v;
}

const INTRINSIC = /^!(Ref|GetAtt|Sub|ImportValue|Join|Select|FindInMap|Base64|If)\s+(.*)$/s;

/**
 * In YAML, an option given as `!Ref Name` or `!GetAtt A.B` becomes that
 * intrinsic (so `--image '!Ref WorkloadAgentImage'` works); other values stay strings.
 */
function yamlOptions(opts: InstrumentOptions): InstrumentOptions {
  const conv = (v: Value): Value => {
    if (typeof v !== 'string') return v;
    const m = INTRINSIC.exec(v);
    if (!m) return v;
    const node = new Document().createNode(m[2]!) as Scalar;
    node.tag = `!${m[1]}`;
    return opaque(node);
  };
  return {
    ...opts,
    ...(opts.image !== undefined ? { image: conv(opts.image) } : {}),
    ...(opts.env ? { env: opts.env.map(([n, v]) => [n, conv(v)] as const) } : {}),
  };
}
