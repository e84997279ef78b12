// `agentctl validate [--json] [FILE...]`: validates rule files stacked in
// order, as `falco -V` does. Without FILE, validates the bundled default
// rules. Exit 0 when no file has an error, 1 otherwise, 2 on bad usage.

import { parseCommandArgs } from '../util/cli.js';
import { CODE_DESC, loadFiles, withSchema, type FileLoadResult, type LoadMessage } from './loader.js';
import { readRulesFile } from './files.js';
// Messages with lines and columns (installs the position-keeping parser).
import { parseWithPositions } from './yaml-positions.js';
import { defaultRulesPath } from './default-path.js';

const USAGE = `usage: agentctl validate [--json] [FILE...]

Validates Falco rule files, stacked in the order given (like falco -V).
Without FILE, validates the bundled default rules.
  --json   print {"falco_load_results":[...]} as falco -V --json does
`;


function describe(m: LoadMessage): string {
  // The item's own location (the first is the whole file); lines and columns 1-based for people.
  const loc = m.context.locations[1] ?? m.context.locations[0];
  const where = loc ? `${loc.position.name}:${loc.position.line + 1}:${loc.position.column + 1}: ` : '';
  const item = loc && loc.item_type ? ` ${loc.item_type} '${loc.item_name}'` : '';
  return `${where}${m.code} (${m.codedesc})${item}: ${m.message}`;
}

/** The human-readable report: one `NAME: Ok|Invalid` line per file, then its errors and warnings. */
export function textReport(results: FileLoadResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.name}: ${r.successful ? 'Ok' : 'Invalid'}`);
    for (const e of r.errors) lines.push(`  ERROR ${describe(e)}`);
    for (const w of r.warnings) lines.push(`  WARNING ${describe(w)}`);
  }
  return lines.join('\n') + '\n';
}

export async function validateCommand(args: string[]): Promise<number> {
  const parsed = parseCommandArgs('validate', USAGE, args, { json: { type: 'boolean' } });
  if (typeof parsed === 'number') return parsed;
  const json = parsed.values.json === true;
  const paths = [...parsed.positionals];
  if (paths.length === 0) {
    const def = defaultRulesPath();
    if (!def) {
      process.stderr.write('agentctl validate: no FILE given and the default rules were not found\n' + USAGE);
      return 2;
    }
    paths.push(def);
  }
  const files: { name: string; content: string }[] = [];
  const unreadable: FileLoadResult[] = [];
  for (const p of paths) {
    // Regular files under a size limit only: /dev/zero or a FIFO is an error, not a hang.
    const f = readRulesFile(p);
    if ('content' in f) {
      files.push(f);
      continue;
    }
    unreadable.push(withSchema({
      name: p,
      successful: false,
      errors: [{
        code: 'LOAD_ERR_FILE_READ',
        codedesc: CODE_DESC.LOAD_ERR_FILE_READ!,
        message: f.error,
        context: { locations: [{ item_type: 'rules content', item_name: '', position: { name: p, line: 0, column: 0, offset: 0 } }], snippet: '' },
      }],
      warnings: [],
    }));
  }
  const results = unreadable.length ? unreadable : loadFiles(files, { hostname: '' }, parseWithPositions).results;
  process.stdout.write(json ? JSON.stringify({ falco_load_results: results }) + '\n' : textReport(results));
  return results.every((r) => r.successful) ? 0 : 1;
}
