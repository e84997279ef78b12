// Where the embedded default rule set is, from the running file's place: the
// dist tree (lib/NAME.mjs) or the repository (out/src/rules/, or a bundle at
// the same depth). Kept apart from validate.ts, which loads the `yaml` package.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where the default rule set is: rules/default.yaml next to out/ (dev) or lib/ (dist tree). */
export function defaultRulesPath(): string | undefined {
  const candidates = [
    new URL('../rules/default.yaml', import.meta.url), // lib/agentctl.mjs in the dist tree
    new URL('../../../rules/default.yaml', import.meta.url), // out/src/rules/validate.js
  ];
  for (const c of candidates) {
    const p = fileURLToPath(c);
    if (existsSync(p)) return p;
  }
  return undefined;
}
