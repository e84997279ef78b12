// The agent's version, reported in the orchestrator hello and at start-up.
import { readFileSync } from 'node:fs';

function read(): string {
  for (const rel of ['../../../package.json', '../package.json']) {
    try {
      const v = (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version?: string }).version;
      if (v) return v;
    } catch {
      // not there: the dist tree has no package.json next to the bundle
    }
  }
  return '0.1.0';
}

export const AGENT_VERSION = read();
