// Container identity: the ECS task metadata endpoint v4 (container and task),
// else the cgroup, else the hostname. Running as the container's entrypoint,
// container.id is never `host`. Configuration overrides win. The metadata is
// fetched in the background: the workload's start never waits for it; the
// ContainerInfo object is filled in place when it arrives.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ContainerInfo } from '../events/model.js';

export interface ContainerOverrides {
  id?: string;
  name?: string;
  image?: string;
  privileged?: boolean;
}

/** `repo[:tag][@digest]` -> parts (a registry port is not a tag). */
export function splitImage(image: string): { repository: string; tag?: string; digest?: string } {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) return { repository: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
  return { repository: rest, tag: digest ? undefined : 'latest', digest };
}

function setImage(c: ContainerInfo, image: string): void {
  const parts = splitImage(image);
  c.image = image;
  c.imageRepository = parts.repository;
  c.imageTag = parts.tag;
  c.imageDigest = parts.digest;
}

/** A 64-hex container id from this process's cgroup, when there is one. */
export function idFromCgroup(text?: string): string | undefined {
  let t = text;
  if (t === undefined) {
    try {
      t = readFileSync('/proc/self/cgroup', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /([0-9a-f]{64})/.exec(t);
  return m ? m[1]!.slice(0, 12) : undefined;
}

/** Privileged when the capability bounding set is full (as `--privileged` gives). */
export function privilegedFromCaps(): boolean {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const bnd = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
    const last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    if (!bnd || !Number.isInteger(last)) return false;
    const full = (1n << BigInt(last + 1)) - 1n;
    return (BigInt('0x' + bnd[1]) & full) === full;
  } catch {
    return false;
  }
}

/** The identity known without the network: overrides, cgroup, hostname. */
export function initialContainer(o: ContainerOverrides): ContainerInfo {
  const host = hostname();
  const c: ContainerInfo = {
    id: o.id ?? idFromCgroup() ?? (host.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 12) || 'unknown'),
    name: o.name ?? host,
    privileged: o.privileged ?? privilegedFromCaps(),
  };
  if (c.id === 'host') c.id = 'host-' + process.pid; // never claim "not in a container"
  if (o.image) setImage(c, o.image);
  return c;
}

async function getJson(url: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), timeoutMs);
  t.unref();
  try {
    const res = await fetch(url, { signal: ctl.signal });
    if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}`);
    const body = (await res.json()) as unknown;
    if (typeof body !== 'object' || body === null) throw new Error(`unexpected body from ${url}`);
    return body as Record<string, unknown>;
  } finally {
    clearTimeout(t);
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/**
 * Fills `c` from the ECS task metadata endpoint v4 (ECS_CONTAINER_METADATA_URI_V4).
 * Overrides stay. Resolves to an error message, or undefined on success or
 * when there is no endpoint.
 */
export async function fetchEcsMetadata(
  c: ContainerInfo,
  o: ContainerOverrides,
  uri: string | undefined,
  timeoutMs: number,
): Promise<string | undefined> {
  if (!uri) return undefined;
  try {
    const [cont, task] = await Promise.all([getJson(uri, timeoutMs), getJson(`${uri}/task`, timeoutMs).catch(() => ({}) as Record<string, unknown>)]);
    const dockerId = str(cont.DockerId);
    if (o.id === undefined && dockerId) c.id = dockerId.slice(0, 12);
    if (o.name === undefined && str(cont.Name)) c.name = str(cont.Name);
    if (o.image === undefined && str(cont.Image)) setImage(c, str(cont.Image)!);
    if (str(cont.ImageID)) c.imageId = str(cont.ImageID);
    const labels = (cont.Labels ?? {}) as Record<string, string>;
    c.labels = labels;
    c.task = {
      arn: str(task.TaskARN) ?? labels['com.amazonaws.ecs.task-arn'],
      cluster: str(task.Cluster) ?? labels['com.amazonaws.ecs.cluster'],
      family: str(task.Family) ?? labels['com.amazonaws.ecs.task-definition-family'],
      revision: str(task.Revision) ?? labels['com.amazonaws.ecs.task-definition-version'],
      availabilityZone: str(task.AvailabilityZone),
    };
    const started = str(cont.StartedAt) ?? str(cont.CreatedAt);
    if (started && !Number.isNaN(Date.parse(started))) c.startTs = BigInt(Date.parse(started)) * 1_000_000n;
    return undefined;
  } catch (err) {
    return `ECS task metadata unavailable (${(err as Error).message}); container identity from ${o.id ? 'configuration' : 'cgroup/hostname'}`;
  }
}
