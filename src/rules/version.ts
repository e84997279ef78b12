import { createHash } from 'node:crypto';

/**
 * A rule set's version: the hash of its files' names and contents, in order.
 * The same for the agent's local files and for a set the orchestrator
 * pushes (src/orchestrator/rule-store.ts), so the two can be compared.
 */
export function ruleSetVersion(files: readonly { name: string; content: string }[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(f.name).update('\0').update(f.content).update('\0');
  return `sha256:${h.digest('hex').slice(0, 16)}`;
}
