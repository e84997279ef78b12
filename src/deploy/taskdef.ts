// Instrumenting the container definitions of one ECS task definition, the way
// the Fargate patchers (kilt, the Terraform data source) do, with one
// difference in layout: every instrumented container gets
//
//   EntryPoint = [instrument, ...its EntryPoint]     Command: left as it is
//
// so that the effective argv (EntryPoint + Command, with ECS's rule that an
// explicit EntryPoint drops the image's CMD) is the original one behind the
// instrument prefix, and an ECS `containerOverrides.command` still replaces
// the command as it did. Plus SYS_PTRACE, VolumesFrom the sidecar (read-only)
// and the SYSDIG_* variables; the `SysdigInstrumentation` sidecar (the agent
// image, entrypoint logwriter) is added once.
//
// Pure functions over plain data. Values this module does not understand (a
// CloudFormation intrinsic: a YAML node tagged `!Ref`, or `{"Ref": ...}` /
// `{"Fn::...": ...}` in JSON) are carried over untouched. The same code
// serves the ECS API's camelCase (`containerDefinitions`, `entryPoint`) and
// CloudFormation's PascalCase (`ContainerDefinitions`, `EntryPoint`): see KeyCase.

export const SIDECAR_NAME = 'SysdigInstrumentation';
export const INSTRUMENT_PATH = '/opt/draios/bin/instrument';
export const LOGWRITER_PATH = '/opt/draios/bin/logwriter';
export const DEFAULT_IMAGE = 'draios/workload-agent:latest';

/** A value of the document: plain JSON data, or an opaque node (a YAML tagged node). */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value } | Opaque;
/** Anything that is not plain data, e.g. a YAML node tagged `!Ref`. */
export interface Opaque {
  readonly opaque: unknown;
}
export type Obj = { [key: string]: Value };

/** 'camel': the ECS API (register-task-definition JSON, Terraform); 'pascal': CloudFormation. */
export type KeyCase = 'camel' | 'pascal';

/** What `docker inspect IMAGE` says of the image (Config.Entrypoint, Config.Cmd). */
export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
}

/** awslogs settings of the sidecar (Terraform's log_configuration). */
export interface SidecarLogs {
  group: Value;
  streamPrefix: Value;
  region: Value;
}

export interface InstrumentOptions {
  /** Image of the sidecar (the workload-agent image). */
  image?: Value;
  /** SYSDIG_* variables to set on every instrumented container, in this order. */
  env?: ReadonlyArray<readonly [string, Value]>;
  /** Container name -> the image's ENTRYPOINT (--entrypoint), for containers that have none. */
  entryPoints?: ReadonlyMap<string, readonly string[]>;
  /** Container name -> the image's config (--image-config), for containers that have no EntryPoint. */
  imageConfigs?: ReadonlyMap<string, ImageConfig>;
  /** Containers never instrumented (Terraform's ignore_containers). */
  ignoreContainers?: readonly string[];
  /** kilt's opt-in mode: only task definitions tagged kilt-include / kilt-include-containers. */
  optIn?: boolean;
  /** Instrument task definitions that are not FARGATE-compatible too. */
  all?: boolean;
  /** The sidecar's awslogs log configuration. */
  logs?: SidecarLogs;
  /** Secret ARN of the agent image's registry credentials (the sidecar's RepositoryCredentials). */
  imageAuthSecret?: Value;
}

/** Thrown with every problem found, so one run reports all containers at fault. */
export class InstrumentError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'InstrumentError';
  }
}

export function isObj(v: Value | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isOpaque(v);
}

export function isOpaque(v: Value | undefined): v is Opaque {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && OPAQUE in v;
}

/** A CloudFormation intrinsic: a tagged YAML node, or `{Ref: ...}` / `{"Fn::X": ...}`. */
export function isIntrinsic(v: Value | undefined): boolean {
  if (isOpaque(v)) return true;
  if (!isObj(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'));
}

const OPAQUE = Symbol('opaque');
/** Wraps a foreign node so that the transformation carries it over untouched. */
export function opaque(node: unknown): Opaque {
  return { opaque: node, [OPAQUE]: true } as Opaque;
}

export function keyOf(kc: KeyCase, pascal: string): string {
  return kc === 'pascal' ? pascal : pascal[0]!.toLowerCase() + pascal.slice(1);
}

function describe(v: Value | undefined): string {
  if (v === undefined) return 'nothing';
  if (isIntrinsic(v)) return 'an intrinsic function';
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;
}

// kilt's tags on a task definition (Tags: [{Key, Value}]).
export const KILT_IGNORE = 'kilt-ignore';
export const KILT_INCLUDE = 'kilt-include';
export const KILT_IGNORE_CONTAINERS = 'kilt-ignore-containers';
export const KILT_INCLUDE_CONTAINERS = 'kilt-include-containers';
const KILT_TAGS = [KILT_IGNORE, KILT_INCLUDE, KILT_IGNORE_CONTAINERS, KILT_INCLUDE_CONTAINERS];

/** Container names of a tag value or an option: kilt separates them with ':' (older kilt: ','). */
export function nameList(s: string): string[] {
  return s
    .split(/[:,]/)
    .map((x) => x.trim())
    .filter(Boolean);
}

/** The kilt tags of a task definition, or a problem. */
function kiltTags(tags: Value | undefined, kc: KeyCase): Map<string, string> | string {
  const out = new Map<string, string>();
  if (tags === undefined || tags === null || isIntrinsic(tags)) return out;
  if (!Array.isArray(tags)) return `${keyOf(kc, 'Tags')} is ${describe(tags)}, not a list`;
  for (const t of tags) {
    if (!isObj(t)) continue;
    const k = t[keyOf(kc, 'Key')];
    if (typeof k !== 'string' || !KILT_TAGS.includes(k)) continue;
    const v = t[keyOf(kc, 'Value')];
    if (typeof v !== 'string') return `tag ${k} has ${describe(v)} as its value; kilt tags need a plain string`;
    out.set(k, v);
  }
  return out;
}

/** What happened to one task definition. */
export interface TaskDefinitionResult {
  /** The new container list, or undefined when nothing changed. */
  containers?: Value[];
  /** Why the task definition was left alone (not FARGATE, kilt-ignore, ...). */
  skipped?: string;
  /** Names of the containers that are instrumented (now or already). */
  instrumented: string[];
  /** Names of every container of the task definition. */
  names: string[];
}

/**
 * Instruments the task definition whose properties are `holder` (the
 * mapping holding ContainerDefinitions). `fargate`: 'check' looks at
 * RequiresCompatibilities; 'assume' for a bare container list (Terraform).
 * `tags` defaults to the holder's own Tags. The input is not modified.
 * Throws InstrumentError naming every container that cannot be instrumented.
 */
export function instrumentTaskDefinition(
  holder: Obj,
  kc: KeyCase,
  opts: InstrumentOptions,
  where: string,
  fargate: 'check' | 'assume' = 'check',
  tags: Value | undefined = holder[keyOf(kc, 'Tags')],
): TaskDefinitionResult {
  const k = (n: string) => keyOf(kc, n);
  const containers = holder[k('ContainerDefinitions')] ?? [];
  if (!Array.isArray(containers)) {
    throw new InstrumentError([`${where}: ${k('ContainerDefinitions')} is ${describe(containers)}, not a list`]);
  }
  const names = containers.map((c, i) => (isObj(c) && typeof c[k('Name')] === 'string' ? (c[k('Name')] as string) : `#${i + 1}`));
  const result: TaskDefinitionResult = { instrumented: [], names };

  if (fargate === 'check' && !opts.all) {
    const compat = holder[k('RequiresCompatibilities')];
    const isFargate = Array.isArray(compat) && compat.includes('FARGATE');
    if (!isFargate) {
      result.skipped = `not FARGATE-compatible (${k('RequiresCompatibilities')} ${compat === undefined ? 'not set' : `is ${isIntrinsic(compat) ? 'an intrinsic function' : JSON.stringify(compat)}`}); --all instruments it anyway`;
      return result;
    }
  }
  const tagMap = kiltTags(tags, kc);
  if (typeof tagMap === 'string') throw new InstrumentError([`${where}: ${tagMap}`]);
  if (opts.optIn ? !tagMap.has(KILT_INCLUDE) && !tagMap.has(KILT_INCLUDE_CONTAINERS) : tagMap.has(KILT_IGNORE)) {
    result.skipped = opts.optIn ? `opt-in mode and no ${KILT_INCLUDE} or ${KILT_INCLUDE_CONTAINERS} tag` : `tagged ${KILT_IGNORE}`;
    return result;
  }
  const ignored = new Set([...(opts.ignoreContainers ?? []), ...nameList(tagMap.get(KILT_IGNORE_CONTAINERS) ?? '')]);
  // In opt-in mode, kilt-include-containers names the only containers; kilt-include alone takes them all.
  const only = opts.optIn && tagMap.has(KILT_INCLUDE_CONTAINERS) && !tagMap.has(KILT_INCLUDE) ? new Set(nameList(tagMap.get(KILT_INCLUDE_CONTAINERS)!)) : undefined;

  const problems: string[] = [];
  const out: Value[] = [];
  let sidecarAt = -1;
  for (const [i, c] of containers.entries()) {
    const name = names[i]!;
    if (!isObj(c)) {
      if (!isIntrinsic(c)) problems.push(`${where}: container #${i + 1} is ${describe(c)}, not a mapping`);
      out.push(c);
      continue;
    }
    if (name === SIDECAR_NAME) {
      sidecarAt = i;
      out.push(c);
      continue;
    }
    if (ignored.has(name) || (only && !only.has(name))) {
      out.push(c);
      continue;
    }
    const r = instrumentContainer(c, name, kc, opts);
    if (typeof r === 'string') {
      problems.push(`${where}: container "${name}": ${r}`);
      out.push(c);
    } else {
      result.instrumented.push(name);
      out.push(r);
    }
  }
  if (problems.length) throw new InstrumentError(problems);
  if (result.instrumented.length === 0) {
    result.skipped = 'every container is excluded';
    return result;
  }
  if (sidecarAt < 0) out.push(sidecar({}, kc, opts));
  else out[sidecarAt] = sidecar(out[sidecarAt] as Obj, kc, opts);
  if (!sameValue(containers, out)) result.containers = out;
  return result;
}

/** The sidecar, as the Terraform provider makes it: logwriter entrypoint, not essential, logs, credentials. */
function sidecar(existing: Obj, kc: KeyCase, opts: InstrumentOptions): Obj {
  const k = (n: string) => keyOf(kc, n);
  const out: Obj = {
    ...existing,
    [k('Name')]: SIDECAR_NAME,
    [k('Image')]: opts.image ?? existing[k('Image')] ?? DEFAULT_IMAGE,
    [k('EntryPoint')]: [LOGWRITER_PATH],
    // Not essential: the workload must not stop because its log relay did.
    [k('Essential')]: existing[k('Essential')] ?? false,
  };
  if (opts.logs) {
    out[k('LogConfiguration')] = {
      [k('LogDriver')]: 'awslogs',
      [k('Options')]: { 'awslogs-group': opts.logs.group, 'awslogs-region': opts.logs.region, 'awslogs-stream-prefix': opts.logs.streamPrefix },
    };
  }
  if (opts.imageAuthSecret !== undefined) out[k('RepositoryCredentials')] = { [k('CredentialsParameter')]: opts.imageAuthSecret };
  return out;
}

// A whole-intrinsic EntryPoint (`!Ref ListParam`, `!Split [...]`, `!If [...]`)
// has items unknown until deployment: the instrument path is put in front with
// Fn::Join and Fn::Split on a separator no argument contains.
const SEP = '\u001f';

function prependToIntrinsic(ep: Value): Value {
  return { 'Fn::Split': [SEP, { 'Fn::Join': [SEP, [INSTRUMENT_PATH, { 'Fn::Join': [SEP, ep] }]] }] };
}

function isPrependedIntrinsic(ep: Value): boolean {
  if (!isObj(ep) || !Array.isArray(ep['Fn::Split'])) return false;
  const join = ep['Fn::Split'][1];
  return isObj(join) && Array.isArray(join['Fn::Join']) && Array.isArray(join['Fn::Join'][1]) && join['Fn::Join'][1][0] === INSTRUMENT_PATH;
}

/** The new EntryPoint (and Command when the image's CMD must be kept), or a problem. */
function layout(c: Obj, name: string, kc: KeyCase, opts: InstrumentOptions): { entryPoint: Value; command?: Value } | string {
  const k = (n: string) => keyOf(kc, n);
  const ep = c[k('EntryPoint')];
  if (isIntrinsic(ep)) {
    // A tagged YAML node is carried inside the long form as it is.
    return { entryPoint: isPrependedIntrinsic(ep!) ? ep! : prependToIntrinsic(ep!) };
  }
  if (ep !== undefined && ep !== null && !Array.isArray(ep)) return `${k('EntryPoint')} is ${describe(ep)}, not a list`;
  if (Array.isArray(ep) && ep.length > 0) {
    return { entryPoint: ep[0] === INSTRUMENT_PATH ? ep : [INSTRUMENT_PATH, ...ep] };
  }
  // No EntryPoint: the image's ENTRYPOINT runs, with the Command or else the
  // image's CMD. Setting an EntryPoint drops the image's CMD (Docker's rule),
  // so without a Command the CMD is written out as the Command.
  const cmd = c[k('Command')];
  const hasCommand = cmd !== undefined && cmd !== null && !(Array.isArray(cmd) && cmd.length === 0);
  const image = opts.imageConfigs?.get(name);
  const given = opts.entryPoints?.get(name);
  const ways =
    `add ${k('EntryPoint')} to the container (the image's ENTRYPOINT, \`docker inspect -f '{{json .Config.Entrypoint}}' IMAGE\`), ` +
    `or pass --image-config ${name}=FILE (FILE: the output of \`docker inspect IMAGE\`)`;
  if (!image && !given) return `has no ${k('EntryPoint')}: the image's ENTRYPOINT is not in the task definition; ${ways}`;
  const entry = image?.entrypoint ?? given!;
  if (hasCommand) return { entryPoint: [INSTRUMENT_PATH, ...entry] };
  if (!image) return `has neither ${k('EntryPoint')} nor ${k('Command')}: the image's CMD would be lost once an ${k('EntryPoint')} is set; ${ways}`;
  if (entry.length === 0 && image.cmd.length === 0) return `its image has neither ENTRYPOINT nor CMD: nothing to run under instrumentation`;
  return image.cmd.length ? { entryPoint: [INSTRUMENT_PATH, ...entry], command: [...image.cmd] } : { entryPoint: [INSTRUMENT_PATH, ...entry] };
}

/** The instrumented container, or a problem as text. */
function instrumentContainer(c: Obj, name: string, kc: KeyCase, opts: InstrumentOptions): Obj | string {
  const k = (n: string) => keyOf(kc, n);
  const out: Obj = { ...c };

  const l = layout(c, name, kc, opts);
  if (typeof l === 'string') return l;
  out[k('EntryPoint')] = l.entryPoint;
  if (l.command !== undefined) out[k('Command')] = l.command;

  // LinuxParameters.Capabilities.Add += SYS_PTRACE
  const lp = c[k('LinuxParameters')] ?? {};
  if (!isObj(lp)) return `${k('LinuxParameters')} is ${describe(lp)}; cannot add SYS_PTRACE to it`;
  const caps = lp[k('Capabilities')] ?? {};
  if (!isObj(caps)) return `${k('LinuxParameters')}.${k('Capabilities')} is ${describe(caps)}; cannot add SYS_PTRACE to it`;
  const add = caps[k('Add')] ?? [];
  if (!Array.isArray(add)) return `${k('Capabilities')}.${k('Add')} is ${describe(add)}, not a list; cannot add SYS_PTRACE to it`;
  if (!add.includes('SYS_PTRACE')) {
    out[k('LinuxParameters')] = { ...lp, [k('Capabilities')]: { ...caps, [k('Add')]: [...add, 'SYS_PTRACE'] } };
  }

  // VolumesFrom += the sidecar, read-only
  const vf = c[k('VolumesFrom')] ?? [];
  if (!Array.isArray(vf)) return `${k('VolumesFrom')} is ${describe(vf)}, not a list; cannot mount the sidecar's volume`;
  const existing = vf.findIndex((v) => isObj(v) && v[k('SourceContainer')] === SIDECAR_NAME);
  const mount: Obj = { [k('SourceContainer')]: SIDECAR_NAME, [k('ReadOnly')]: true };
  if (existing < 0) out[k('VolumesFrom')] = [...vf, mount];
  else if ((vf[existing] as Obj)[k('ReadOnly')] !== true) out[k('VolumesFrom')] = vf.map((v, j) => (j === existing ? { ...(v as Obj), ...mount } : v));

  // Environment: set each SYSDIG_* variable, replacing an earlier value.
  if (opts.env?.length) {
    const env = c[k('Environment')] ?? [];
    if (!Array.isArray(env)) return `${k('Environment')} is ${describe(env)}, not a list; cannot add the SYSDIG_* variables to it`;
    const next = [...env];
    for (const [n, value] of opts.env) {
      const entry: Obj = { [k('Name')]: n, [k('Value')]: value };
      const j = next.findIndex((e) => isObj(e) && e[k('Name')] === n);
      if (j < 0) next.push(entry);
      else if (!sameValue(next[j], entry)) next[j] = entry;
    }
    out[k('Environment')] = next;
  }
  return out;
}

/** A tagged node's tag and content, to compare two of them (`!Ref X` given twice is the same value). */
function opaqueText(o: Opaque): string | undefined {
  const n = o.opaque as { tag?: unknown; toJSON?: () => unknown } | null;
  if (!n || typeof n.toJSON !== 'function') return undefined;
  try {
    return JSON.stringify([n.tag ?? null, n.toJSON()]);
  } catch {
    return undefined;
  }
}

/** Structural equality of two values (opaque values: same tag and content). */
export function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  if (a === b) return true;
  if (isOpaque(a) || isOpaque(b)) return isOpaque(a) && isOpaque(b) && (a.opaque === b.opaque || opaqueText(a) === opaqueText(b));
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((key, i) => key === kb[i] && sameValue(a[key], b[key]));
  }
  return false;
}
