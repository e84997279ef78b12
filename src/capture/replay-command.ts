// `agentctl replay [--rules-file F]... [--json] FILE.scap`: evaluates rules on
// a recorded capture (ours, or sysdig's/Falco's, plain or gzip) with the
// agent's own state, engine and alert formatting, and prints the alerts as
// the agent would: the Falco text line, or with --json one Falco JSON alert
// per line. A summary goes to stderr. Exit 0; 1 when the file is unreadable,
// truncated or corrupt (alerts before the damage are still printed) or the
// rules do not load; 2 on bad usage.
import { readFileSync } from 'node:fs';
import { parseCommandArgs } from '../util/cli.js';
import { defaultRulesPath, loadRuleFilesReporting, type Ruleset } from '../rules/index.js';
import { knownSyscalls } from '../tracer/index.js';
import { alertsFor } from '../alerts/format.js';
import { loadCapture } from './reader.js';
import { replay } from './replay.js';

const USAGE = `usage: agentctl replay [--rules-file FILE]... [--json] CAPTURE.scap

Evaluates Falco rules on a scap capture (from --capture-file, sysdig -w or a
Falco trace; plain or gzip) with the agent's own engine and state.
  --rules-file FILE   rules file, repeatable, loaded in order (default: the bundled default rules)
  --json              one Falco JSON alert per line (default: Falco's text line)
`;

async function loadRules(paths: string[]): Promise<Ruleset | string> {
  const files: { name: string; content: string }[] = [];
  for (const p of paths) {
    try {
      files.push({ name: p, content: readFileSync(p, 'utf8') });
    } catch (err) {
      return `cannot read rules file ${p}: ${(err as Error).message}`;
    }
  }
  const { ruleset, results } = await loadRuleFilesReporting(files);
  if (ruleset) return ruleset;
  return results.flatMap((r) => r.errors.map((e) => `${r.name}: ${e.message}`)).join('\n') || 'rules failed to load';
}

export async function replayCommand(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('replay', USAGE, argv, { 'rules-file': { type: 'string', multiple: true }, json: { type: 'boolean' } });
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length !== 1) {
    process.stderr.write(`agentctl replay: expected one capture file\n${USAGE}`);
    return 2;
  }
  const file = parsed.positionals[0]!;
  const rulePaths = parsed.values['rules-file'] ?? [defaultRulesPath()].filter((p): p is string => !!p);
  const rules = await loadRules(rulePaths);
  if (typeof rules === 'string') {
    process.stderr.write(`agentctl replay: ${rules}\n`);
    return 1;
  }
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (err) {
    process.stderr.write(`agentctl replay: cannot read ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const { data, gzipError } = loadCapture(raw);
  const out: string[] = [];
  let alerts = 0;
  const result = replay(data, {
    syscalls: knownSyscalls(),
    onEvent(evt, f) {
      const matches = rules.evaluate(evt);
      if (matches.length === 0) return;
      for (const a of alertsFor(matches, evt, f.hostname, f.container)) {
        alerts++;
        out.push(parsed.values.json ? JSON.stringify(a) : a.output);
        if (out.length >= 256) process.stdout.write(out.splice(0).join('\n') + '\n');
      }
    },
  });
  if (out.length) process.stdout.write(out.join('\n') + '\n');
  const c = result.counters;
  process.stderr.write(
    `replay: ${file}: ${c.events} events, ${c.evaluated} evaluated, ${alerts} alerts` +
      (c.unknownTypes ? `, ${c.unknownTypes} events of unknown types skipped` : '') +
      (c.notDecoded ? `, ${c.notDecoded} events the agent does not decode` : '') +
      '\n',
  );
  const errors = [gzipError, result.error].filter((e): e is string => e !== undefined);
  for (const e of errors) process.stderr.write(`agentctl replay: ${file}: ${e}; the events before it were evaluated\n`);
  if (errors.length) return 1;
  return 0;
}
