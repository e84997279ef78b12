// Instrumenting the container definitions of one ECS task definition, the way
// the Fargate patchers (kilt, the Terraform data source) do: every container
// but the sidecar gets EntryPoint = [instrument, ...EntryPoint, ...Command],
// SYS_PTRACE, VolumesFrom the sidecar (read-only) and the SYSDIG_* variables;
// the `SysdigInstrumentation` sidecar is added once.
//
// Pure functions over plain data. Values this module does not understand (a
// CloudFormation intrinsic such as `!Ref X`, kept by the caller as an opaque
// object) are carried over untouched. The same code serves the ECS API's
// camelCase JSON (`containerDefinitions`, `entryPoint`) and CloudFormation's
// PascalCase (`ContainerDefinitions`, `EntryPoint`): see `KeyCase`.

export const SIDECAR_NAME = 'SysdigInstrumentation';
export const INSTRUMENT_PATH = '/opt/draios/bin/instrument';
export const DEFAULT_IMAGE = 'draios/workload-agent:latest';
export const DEFAULT_ORCHESTRATOR_PORT = '6667';

/** A value of the document: plain JSON data, or an opaque node (an intrinsic). */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value } | Opaque;
/** Anything that is not plain data, e.g. a YAML node tagged `!Ref`. */
export interface Opaque {
  readonly opaque: unknown;
}
export type Obj = { [key: string]: Value };

/** 'camel': the ECS API (register-task-definition JSON); 'pascal': CloudFormation. */
export type KeyCase = 'camel' | 'pascal';

export interface InstrumentOptions {
  /** Image of the sidecar (the workload-agent image). A string, or an opaque value (e.g. `!Ref Image`). */
  image?: Value;
  /** SYSDIG_* variables to set on every instrumented container, in this order. */
  env?: ReadonlyArray<readonly [string, Value]>;
  /** Container name -> the image's default EntryPoint, for containers that have none. */
  entryPoints?: ReadonlyMap<string, readonly string[]>;
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
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'opaque' in v && OPAQUE in v;
}

const OPAQUE = Symbol('opaque');
/** Wraps a foreign node so that the transformation carries it over untouched. */
export function opaque(node: unknown): Opaque {
  return { opaque: node, [OPAQUE]: true } as Opaque;
}

function keyOf(kc: KeyCase, pascal: string): string {
  return kc === 'pascal' ? pascal : pascal[0]!.toLowerCase() + pascal.slice(1);
}

function describe(v: Value | undefined): string {
  if (v === undefined) return 'nothing';
  if (isOpaque(v)) return 'an intrinsic function';
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;
}

/** The string items of a list, or a problem. */
function stringList(v: Value | undefined, what: string): string[] | string {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return `${what} is ${describe(v)}, not a list of strings`;
  const out: string[] = [];
  for (const item of v) {
    if (typeof item === 'string') out.push(item);
    else if (typeof item === 'number') out.push(String(item));
    else return `${what} holds ${describe(item)}; only plain strings can be moved into the new EntryPoint`;
  }
  return out;
}

/**
 * Returns the instrumented copy of `containers` (the input is not modified).
 * Throws InstrumentError naming every container that cannot be instrumented.
 */
export function instrumentContainers(containers: Value, kc: KeyCase, opts: InstrumentOptions, where = 'task definition'): Value[] {
  const k = (name: string) => keyOf(kc, name);
  if (!Array.isArray(containers)) {
    throw new InstrumentError([`${where}: ${k('ContainerDefinitions')} is ${describe(containers)}, not a list`]);
  }
  const problems: string[] = [];
  const out: Value[] = [];
  let hasSidecar = false;
  for (const [i, c] of containers.entries()) {
    if (!isObj(c)) {
      problems.push(`${where}: container #${i + 1} is ${describe(c)}, not a mapping`);
      out.push(c);
      continue;
    }
    const name = typeof c[k('Name')] === 'string' ? (c[k('Name')] as string) : `#${i + 1}`;
    if (name === SIDECAR_NAME) {
      hasSidecar = true;
      out.push(opts.image !== undefined ? { ...c, [k('Image')]: opts.image } : c);
      continue;
    }
    const r = instrumentOne(c, name, kc, opts);
    if (typeof r === 'string') {
      problems.push(`${where}: container "${name}": ${r}`);
      out.push(c);
    } else {
      out.push(r);
    }
  }
  if (problems.length) throw new InstrumentError(problems);
  if (!hasSidecar) out.push(sidecar(kc, opts));
  return out;
}

function sidecar(kc: KeyCase, opts: InstrumentOptions): Obj {
  const k = (name: string) => keyOf(kc, name);
  // Not essential: the workload must not stop because its log relay did.
  return { [k('Name')]: SIDECAR_NAME, [k('Image')]: opts.image ?? DEFAULT_IMAGE, [k('Essential')]: false };
}

/** The instrumented container, or a problem as text. */
function instrumentOne(c: Obj, name: string, kc: KeyCase, opts: InstrumentOptions): Obj | string {
  const k = (n: string) => keyOf(kc, n);
  const out: Obj = { ...c };

  // EntryPoint: instrument, then the original EntryPoint and Command.
  const ep = stringList(c[k('EntryPoint')], k('EntryPoint'));
  if (typeof ep === 'string') return ep;
  if (ep[0] !== INSTRUMENT_PATH) {
    const cmd = stringList(c[k('Command')], k('Command'));
    if (typeof cmd === 'string') return cmd;
    let entry = ep;
    if (c[k('EntryPoint')] === undefined || ep.length === 0) {
      const given = opts.entryPoints?.get(name);
      if (!given) {
        return (
          `has no explicit ${k('EntryPoint')}: the image's default ENTRYPOINT cannot be known offline; ` +
          `add ${k('EntryPoint')} to the container, or pass --entrypoint '${name}=["/path/to/program", "arg"]' ` +
          `(--entrypoint '${name}=[]' if the image has none)`
        );
      }
      entry = [...given];
    }
    const argv = [INSTRUMENT_PATH, ...entry, ...cmd];
    if (argv.length === 1) return `has neither ${k('EntryPoint')} nor ${k('Command')}: nothing to run under instrumentation`;
    out[k('EntryPoint')] = argv;
    delete out[k('Command')];
  }

  // LinuxParameters.Capabilities.Add += SYS_PTRACE
  const lp = c[k('LinuxParameters')] ?? {};
  if (!isObj(lp)) return `${k('LinuxParameters')} is ${describe(lp)}; cannot add SYS_PTRACE to it`;
  const caps = lp[k('Capabilities')] ?? {};
  if (!isObj(caps)) return `${k('LinuxParameters')}.${k('Capabilities')} is ${describe(caps)}; cannot add SYS_PTRACE to it`;
  const add = caps[k('Add')] ?? [];
  if (!Array.isArray(add)) return `${k('Capabilities')}.${k('Add')} is ${describe(add)}, not a list`;
  if (!add.includes('SYS_PTRACE')) {
    out[k('LinuxParameters')] = { ...lp, [k('Capabilities')]: { ...caps, [k('Add')]: [...add, 'SYS_PTRACE'] } };
  }

  // VolumesFrom += the sidecar, read-only
  const vf = c[k('VolumesFrom')] ?? [];
  if (!Array.isArray(vf)) return `${k('VolumesFrom')} is ${describe(vf)}, not a list`;
  const existing = vf.findIndex((v) => isObj(v) && v[k('SourceContainer')] === SIDECAR_NAME);
  const mount: Obj = { [k('SourceContainer')]: SIDECAR_NAME, [k('ReadOnly')]: true };
  if (existing < 0) out[k('VolumesFrom')] = [...vf, mount];
  else if ((vf[existing] as Obj)[k('ReadOnly')] !== true) out[k('VolumesFrom')] = vf.map((v, j) => (j === existing ? { ...(v as Obj), ...mount } : v));

  // Environment: set each SYSDIG_* variable, replacing an earlier value.
  if (opts.env?.length) {
    const env = c[k('Environment')] ?? [];
    if (!Array.isArray(env)) return `${k('Environment')} is ${describe(env)}, not a list`;
    const next = [...env];
    for (const [n, value] of opts.env) {
      const entry: Obj = { [k('Name')]: n, [k('Value')]: value };
      const j = next.findIndex((e) => isObj(e) && e[k('Name')] === n);
      if (j < 0) next.push(entry);
      else next[j] = entry;
    }
    out[k('Environment')] = next;
  }
  return out;
}

/** Structural equality of two values (opaque values: same node). */
export function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  if (a === b) return true;
  if (isOpaque(a) || isOpaque(b)) return isOpaque(a) && isOpaque(b) && a.opaque === b.opaque;
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
