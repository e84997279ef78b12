// Which syscalls each upstream rule file (stacked as Falco loads them) makes
// the agent stop on: with the fd table kept exact (as before issue 18: every
// fd, cwd and credential syscall) and with lazy fd state (the rules' event
// types plus credentials), and why each state syscall that stays is there.
// Prints markdown for docs/BENCHMARKS.md.
// Usage: node out/bench/syscall-sets.js
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRuleFiles, type Ruleset } from '../src/rules/index.js';
import { syscallSet, stateNeeds, FD_TABLE_SYSCALLS, CWD_SYSCALLS } from '../src/wrapper/detection.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const stacks: [string, string[]][] = [
  ['rules/default.yaml (embedded default)', ['rules/default.yaml']],
  ['falco_rules.yaml (stable)', ['rules/upstream/falco_rules.yaml']],
  ['stable + incubating', ['rules/upstream/falco_rules.yaml', 'rules/upstream/falco-incubating_rules.yaml']],
  ['stable + incubating + sandbox', ['rules/upstream/falco_rules.yaml', 'rules/upstream/falco-incubating_rules.yaml', 'rules/upstream/falco-sandbox_rules.yaml']],
];

function set(rs: Ruleset, exact: boolean): string[] {
  return syscallSet(rs, [], exact).map((s) => s.name);
}

const lines = ['| Rule files | Before (exact fd table) | After (lazy fd state) | No longer stopped on | fd-table and cwd syscalls that stay, and the rule that needs each |', '|---|---|---|---|---|'];
for (const [title, files] of stacks) {
  const { ruleset } = loadRuleFiles(files.map((f) => ({ name: f, content: readFileSync(join(root, f), 'utf8') })));
  if (!ruleset) throw new Error(`${title}: rules failed to load`);
  const before = set(ruleset, true);
  const after = set(ruleset, false);
  const gone = before.filter((n) => !after.includes(n));
  const needs = stateNeeds(ruleset);
  const why: string[] = [];
  for (const n of [...FD_TABLE_SYSCALLS, ...CWD_SYSCALLS].filter((x) => after.includes(x))) {
    const r = needs.fdTable && FD_TABLE_SYSCALLS.includes(n)
      ? `${needs.fdTable.rule} (${needs.fdTable.field})`
      : ruleset.rules.find((x) => x.evttypes === 'all' || x.evttypes.has(n))?.name ?? needs.cwd?.rule ?? '?';
    why.push(`${n}: ${r}`);
  }
  lines.push(`| ${title} | ${before.length}: ${before.join(' ')} | ${after.length}: ${after.join(' ')} | ${gone.join(' ')} | ${why.join('; ')} |`);
}
console.log(lines.join('\n'));
