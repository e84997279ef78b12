#!/usr/bin/env node
// Issue 13's measure: every case of test/rules/parity-cases.ts (built to
// out/test/rules/parity-cases.js) run through `bin/agentctl validate --json`,
// one rules file per case, as the checker did. Prints the agreement
// and each disagreement. Evaluation cases (a condition's truth on an event)
// are not visible through validate; test/rules/parity.test.ts checks them.
//   node scripts/parity.mjs [--jobs N]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { CASES, conditionFile } = await import(join(root, 'out/test/rules/parity-cases.js'));
const jobs = Number(process.argv[process.argv.indexOf('--jobs') + 1]) || 2;
const dir = mkdtempSync(join(tmpdir(), 'parity-'));

function validate(file) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(root, 'bin/agentctl'), 'validate', '--json', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

function verdict(c, r) {
  let res;
  try {
    res = JSON.parse(r.out).falco_load_results[0];
  } catch {
    return `no JSON (exit ${r.code}): ${r.err.slice(0, 200)}`;
  }
  const errors = res.errors;
  const warnings = res.warnings;
  const accepted = res.successful && r.code === 0;
  if (accepted !== c.accept) return c.accept ? `rejected: ${errors[0]?.message}` : 'accepted';
  if (c.msg !== undefined && !errors.some((e) => e.message.includes(c.msg))) return `message '${errors[0]?.message}' lacks '${c.msg}'`;
  if (c.kind === 'rules' && c.warn === null && warnings.length) return `unexpected warning ${warnings[0].code}`;
  if (c.kind === 'rules' && typeof c.warn === 'string' && !warnings.some((w) => w.message.includes(c.warn))) return `no warning with '${c.warn}'`;
  return undefined;
}

const cases = CASES.filter((c) => c.kind !== 'eval');
const bad = [];
let next = 0;
async function worker() {
  while (next < cases.length) {
    const i = next++;
    const c = cases[i];
    const f = join(dir, `case-${i}.yaml`);
    writeFileSync(f, c.kind === 'condition' ? conditionFile(c.cond) : c.yaml);
    const why = verdict(c, await validate(f));
    if (why) bad.push(`  ${c.from}: ${c.kind === 'condition' ? JSON.stringify(c.cond.slice(0, 80)) : c.name} -> ${why}`);
  }
}
await Promise.all(Array.from({ length: jobs }, worker));
const ok = cases.length - bad.length;
process.stdout.write(`parity through bin/agentctl validate --json: ${ok}/${cases.length} agree (${((ok / cases.length) * 100).toFixed(1)}%); ${CASES.length - cases.length} evaluation cases are checked by test/rules/parity.test.ts\n${bad.join('\n')}\n`);
process.exitCode = ok / cases.length >= 0.97 ? 0 : 1;
