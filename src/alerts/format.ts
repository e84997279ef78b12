// The alerts an event raises, as every sink receives them: Falco's JSON
// alert for each matched rule, with the container's identity, in the
// configured format. Shared by the live agent (src/wrapper/detection.ts) and
// `agentctl replay` (src/capture).
import { formatAlert, type CompiledRule } from '../rules/index.js';
import type { ContainerInfo, SyscallEvent } from '../events/model.js';
import type { FalcoAlert } from '../model/alert.js';

/**
 * Container identity on every alert, as Falco appends the container plugin's
 * fields (container.id, name, image) to each syscall alert.
 */
export function withContainer(a: FalcoAlert, c: ContainerInfo): FalcoAlert {
  const f = a.output_fields;
  if (!('container.id' in f)) f['container.id'] = c.id;
  if (!('container.name' in f)) f['container.name'] = c.name ?? null;
  if (!('container.image.repository' in f)) f['container.image.repository'] = c.imageRepository ?? null;
  if (!('container.image.tag' in f)) f['container.image.tag'] = c.imageTag ?? null;
  return a;
}

/** The alerts for the rules an event matched, as every sink receives them (live, and agentctl replay). */
export function alertsFor(matches: readonly CompiledRule[], evt: SyscallEvent, host: string, container: ContainerInfo, format?: AlertFormat): FalcoAlert[] {
  return matches.map((rule) => {
    const alert = formatAlert(rule, evt, host, format);
    return format?.containerFields === false ? alert : withContainer(alert, container);
  });
}

/** Alert formatting: Falco's time_format_iso_8601, and whether every alert carries the container fields (default true). */
export interface AlertFormat {
  timeFormatIso8601?: boolean;
  containerFields?: boolean;
}

