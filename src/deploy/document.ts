// Finding the task definitions in a document and writing it back. Inputs:
//   - the bare container-definitions list (Terraform's container_definitions);
//   - the JSON of `aws ecs register-task-definition`;
//   - the output of `aws ecs describe-task-definition`, unwrapped into a
//     registrable document (read-only fields dropped, its tags kept);
//   - a query of Terraform's `external` data source ({"container_definitions": "<JSON>"});
//   - a CloudFormation template or fragment, in JSON or YAML.
//
// YAML is edited in place (./yaml-edit.ts): the text of each container that changes is
// replaced and the sidecar inserted after the last container; every other
// byte (comments, styles, anchors, order) stays as it was. Inside the edited
// containers, tagged nodes (`!Ref X`, `!Sub [...]`) are carried over as they
// are, aliases and merge keys (`<<: *base`) are resolved.

import { Document, isSeq, parseDocument } from 'yaml';
import { resolveOptions, type Lift, type RawOptions } from './options.js';
import { fromValue, longForm, sequenceEdits, toValue, type Edit } from './yaml-edit.js';
import {
  instrumentTaskDefinition,
  InstrumentError,
  isIntrinsic,
  isObj,
  keyOf,
  opaque,
  type ImageConfig,
  type InstrumentOptions,
  type KeyCase,
  type Obj,
  type Value,
} from './taskdef.js';

export const TASK_DEFINITION_TYPE = 'AWS::ECS::TaskDefinition';

/** Fields of describe-task-definition's taskDefinition that register-task-definition refuses. */
export const READ_ONLY_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
];

export interface TaskDefinitionReport {
  where: string;
  instrumented: string[];
  skipped?: string;
}

/** What `instrumentDocument` found and did. */
export interface InstrumentResult {
  text: string;
  format: 'json' | 'yaml';
  kind: Kind;
  taskDefinitions: TaskDefinitionReport[];
  warnings: string[];
}

export type Kind = 'container list' | 'register-task-definition' | 'describe-task-definition' | 'terraform external' | 'cloudformation';

/** What only the command line can give: the images' entrypoints, read from local files. */
export interface LocalInputs {
  entryPoints?: ReadonlyMap<string, readonly string[]>;
  imageConfigs?: ReadonlyMap<string, ImageConfig>;
}

interface Site {
  where: string;
  kc: KeyCase;
  /** The mapping holding ContainerDefinitions, and its path from the root. */
  holder: Obj;
  path: (string | number)[];
  fargate: 'check' | 'assume';
  tags?: Value;
}

/** Key case of a bare container list: CloudFormation's Name/Image, else the ECS API's. */
function listCase(list: Value[]): KeyCase {
  return list.some((c) => isObj(c) && ('Name' in c || 'Image' in c)) ? 'pascal' : 'camel';
}

/** Every task definition in a document given as plain values. */
function findSites(root: Value): { kind: Kind; sites: Site[] } {
  if (Array.isArray(root)) {
    const kc = listCase(root);
    const key = keyOf(kc, 'ContainerDefinitions');
    return { kind: 'container list', sites: [{ where: 'container definitions', kc, holder: { [key]: root }, path: [], fargate: 'assume' }] };
  }
  if (!isObj(root)) throw new Error('the document is neither a list of container definitions nor a mapping (task definition or CloudFormation template)');
  if ('containerDefinitions' in root) {
    return { kind: 'register-task-definition', sites: [{ where: 'task definition', kc: 'camel', holder: root, path: [], fargate: 'check' }] };
  }
  // CloudFormation: a template (Resources) or a bare fragment of resources.
  const resources = isObj(root['Resources']) ? root['Resources'] : root;
  const base = resources === root ? [] : ['Resources'];
  const sites: Site[] = [];
  for (const [name, res] of Object.entries(resources)) {
    if (!isObj(res) || res['Type'] !== TASK_DEFINITION_TYPE) continue;
    const props = res['Properties'];
    if (!isObj(props)) throw new Error(`${[...base, name].join('.')}: a task definition without Properties`);
    sites.push({ where: [...base, name].join('.'), kc: 'pascal', holder: props, path: [...base, name, 'Properties'], fargate: 'check' });
  }
  if (sites.length === 0) {
    throw new Error(
      `no task definition found: expected a container-definitions list, containerDefinitions (ECS JSON), taskDefinition (describe-task-definition) or a resource of Type ${TASK_DEFINITION_TYPE} (CloudFormation)`,
    );
  }
  return { kind: 'cloudformation', sites };
}

/** describe-task-definition output -> a document register-task-definition takes. */
export function registrable(described: Obj): Obj {
  const td = described['taskDefinition'] as Obj;
  const out: Obj = {};
  for (const [k, v] of Object.entries(td)) if (!READ_ONLY_FIELDS.includes(k)) out[k] = v;
  const tags = described['tags'];
  if (Array.isArray(tags) && tags.length > 0) out['tags'] = tags;
  return out;
}

function isDescribeOutput(v: Value): v is Obj {
  return isObj(v) && isObj(v['taskDefinition']) && 'containerDefinitions' in v['taskDefinition'];
}

/** Runs every site; returns the reports and the new container lists by site. */
function instrumentSites(sites: Site[], opts: InstrumentOptions, local: LocalInputs): { reports: TaskDefinitionReport[]; changed: Map<Site, Value[]>; warnings: string[] } {
  const full: InstrumentOptions = { ...opts, ...local };
  const problems: string[] = [];
  const reports: TaskDefinitionReport[] = [];
  const changed = new Map<Site, Value[]>();
  const names = new Set<string>();
  for (const s of sites) {
    try {
      const r = instrumentTaskDefinition(s.holder, s.kc, full, s.where, s.fargate, s.tags ?? s.holder[keyOf(s.kc, 'Tags')]);
      for (const n of r.names) names.add(n);
      reports.push({ where: s.where, instrumented: r.instrumented, ...(r.skipped ? { skipped: r.skipped } : {}) });
      if (r.containers) changed.set(s, r.containers);
    } catch (err) {
      if (!(err instanceof InstrumentError)) throw err;
      problems.push(...err.problems);
    }
  }
  // An option naming a container the document does not have is a mistake, not a no-op.
  for (const [flag, map] of [['--entrypoint', local.entryPoints], ['--image-config', local.imageConfigs]] as const) {
    for (const name of map?.keys() ?? []) {
      if (!names.has(name)) problems.push(`${flag} ${name}: no container named "${name}" in the document (containers: ${[...names].join(', ') || 'none'})`);
    }
  }
  // One ignore list may serve several templates: a name it does not find is only worth a warning.
  const warnings: string[] = [];
  for (const name of opts.ignoreContainers ?? []) {
    if (!names.has(name)) warnings.push(`--ignore-containers ${name}: no container of that name in the document`);
  }
  if (problems.length) throw new InstrumentError(problems);
  return { reports, changed, warnings };
}

function resolve(raw: RawOptions, lift: Lift): { opts: InstrumentOptions; warnings: string[] } {
  const { opts, problems, warnings } = resolveOptions(raw, lift);
  if (problems.length) throw new InstrumentError(problems);
  return { opts, warnings };
}

/**
 * Instruments a document given as plain JSON values (what a CloudFormation
 * macro receives). Returns the new document; the input is not modified.
 */
export function instrumentValue(data: Value, raw: RawOptions, local: LocalInputs = {}): { data: Value; kind: Kind; taskDefinitions: TaskDefinitionReport[]; warnings: string[] } {
  const { opts, warnings } = resolve(raw, liftJson);
  let root = data;
  let kind: Kind | undefined;
  if (isDescribeOutput(root)) {
    root = registrable(root);
    kind = 'describe-task-definition';
  }
  root = structuredClone(root);
  const found = findSites(root);
  const { reports, changed, warnings: more } = instrumentSites(found.sites, opts, local);
  warnings.push(...more);
  for (const [s, containers] of changed) {
    if (s.path.length === 0 && Array.isArray(root)) root = containers;
    else s.holder[keyOf(s.kc, 'ContainerDefinitions')] = containers;
  }
  return { data: root, kind: kind ?? found.kind, taskDefinitions: reports, warnings };
}

/** Instruments every task definition of `text` (JSON or YAML). Throws InstrumentError or Error. */
export function instrumentDocument(text: string, raw: RawOptions, local: LocalInputs = {}): InstrumentResult {
  if (/^\s*[{[]/.test(text)) {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    if (data !== undefined) return instrumentJsonText(text, data as Value, raw, local);
  }
  return instrumentYaml(text, raw, local);
}

/** The indentation of a JSON text, to write it back the same way. */
function jsonIndent(text: string): string | number {
  const m = /^[[{]\s*\n([ \t]+)\S/.exec(text.trimStart());
  return m ? m[1]! : 2;
}

function instrumentJsonText(text: string, data: Value, raw: RawOptions, local: LocalInputs): InstrumentResult {
  // Terraform's external data source: a flat object of strings in, one out.
  if (isObj(data) && typeof data['container_definitions'] === 'string') {
    let list: Value;
    try {
      list = JSON.parse(data['container_definitions']) as Value;
    } catch (err) {
      throw new Error(`container_definitions is not JSON: ${(err as Error).message}`);
    }
    const extra: RawOptions = { ...raw };
    if (typeof data['ignore_containers'] === 'string' && data['ignore_containers'] !== '') {
      extra['ignore-containers'] = [...((raw['ignore-containers'] as string[] | undefined) ?? []), data['ignore_containers']];
    }
    const r = instrumentValue(list, extra, local);
    return { text: JSON.stringify({ container_definitions: JSON.stringify(r.data) }) + '\n', format: 'json', kind: 'terraform external', taskDefinitions: r.taskDefinitions, warnings: r.warnings };
  }
  const r = instrumentValue(data, raw, local);
  return { text: JSON.stringify(r.data, null, jsonIndent(text)) + '\n', format: 'json', kind: r.kind, taskDefinitions: r.taskDefinitions, warnings: r.warnings };
}

// ---------------------------------------------------------------- intrinsics

/** `{"Ref": "X"}` (or any `{"Fn::...": ...}`) given as text, else undefined. */
function jsonIntrinsic(text: string): Value | undefined {
  if (!/^\s*\{/.test(text)) return undefined;
  try {
    const v = JSON.parse(text) as Value;
    return isIntrinsic(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** An option's text as a value of a JSON document: `!Ref X` becomes {"Ref": "X"}. */
export const liftJson: Lift = (text) => {
  const j = jsonIntrinsic(text);
  if (j !== undefined) return j;
  if (/^!\w+(\s|$)/.test(text)) {
    const doc = parseDocument(text);
    if (doc.errors.length === 0) return longForm(doc.contents, doc);
  }
  return text;
};

/** An option's text as a value of a YAML document: `!Ref X` becomes that tagged node. */
const liftYaml: Lift = (text) => {
  const j = jsonIntrinsic(text);
  if (j !== undefined) return j;
  if (/^!\w+(\s|$)/.test(text)) {
    const doc = parseDocument(text);
    if (doc.errors.length === 0 && doc.contents) return opaque(doc.contents);
  }
  return text;
};

// ---------------------------------------------------------------- YAML

function instrumentYaml(text: string, raw: RawOptions, local: LocalInputs): InstrumentResult {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length) throw new Error(`not valid YAML or JSON: ${doc.errors[0]!.message}`);
  const root = toValue(doc.contents, doc);
  if (isDescribeOutput(root)) {
    // `aws ecs describe-task-definition --output yaml`: a generated document, rewritten whole.
    const r = instrumentValue(longForm(doc.contents, doc), raw, local);
    return { text: new Document(r.data).toString({ lineWidth: 0 }), format: 'yaml', kind: r.kind, taskDefinitions: r.taskDefinitions, warnings: r.warnings };
  }
  const { opts, warnings } = resolve(raw, liftYaml);
  const found = findSites(root);
  const { reports, changed, warnings: more } = instrumentSites(found.sites, opts, local);
  warnings.push(...more);
  let edits: Edit[] | undefined = [];
  for (const [s, after] of changed) {
    const key = keyOf(s.kc, 'ContainerDefinitions');
    const seq = s.path.length === 0 && isSeq(doc.contents) ? doc.contents : doc.getIn([...s.path, key], true);
    const before = (s.holder[key] ?? []) as Value[];
    const e = sequenceEdits(text, seq, before, after);
    if (!e) {
      edits = undefined;
      break;
    }
    edits.push(...e);
  }
  let out: string;
  if (edits) {
    out = text;
    for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  } else {
    // Not laid out as `- item` lines (a flow list, an intrinsic): the document is re-rendered.
    for (const [s, after] of changed) {
      const key = keyOf(s.kc, 'ContainerDefinitions');
      if (s.path.length === 0 && isSeq(doc.contents)) doc.contents = new Document(fromValue(after)).contents as typeof doc.contents;
      else doc.setIn([...s.path, key], doc.createNode(fromValue(after), { aliasDuplicateObjects: false }));
    }
    out = doc.toString({ lineWidth: 0 });
    warnings.push('the container definitions are not a block list: the document was re-rendered (comments kept, layout may differ)');
  }
  const check = parseDocument(out, { merge: true });
  if (check.errors.length) {
    throw new Error(`the instrumented document does not parse (${check.errors[0]!.message}); an anchor inside an edited container may be used elsewhere`);
  }
  return { text: out, format: 'yaml', kind: found.kind, taskDefinitions: reports, warnings };
}
