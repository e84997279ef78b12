// Writes the tracer's plan for the embedded default rules and the default
// configuration (src/tracer/plan.ts format) to the file named by argv[2]. Run
// by the build: with it the supervisor starts the workload at once, before
// the analysis process is up (native/supervisor.cc, the fast path).
import { readFileSync, writeFileSync } from 'node:fs';
import { loadRuleFiles, defaultRulesPath } from '../rules/index.js';
import { encodePlan, knownSyscalls } from '../tracer/index.js';
import { loadConfig } from '../config/index.js';
import { tracePlan } from './detection.js';

const out = process.argv[2];
const rulesPath = defaultRulesPath();
if (!out || !rulesPath) {
  process.stderr.write(`usage: default-plan OUTFILE (default rules: ${rulesPath ?? 'missing'})\n`);
  process.exit(2);
}
const { config } = loadConfig({});
const { ruleset } = loadRuleFiles([{ name: rulesPath, content: readFileSync(rulesPath, 'utf8') }], { ruleMatching: config.ruleMatching, priorityMin: config.priorityMin, hostname: '' });
if (!ruleset) {
  process.stderr.write(`default-plan: the default rules (${rulesPath}) do not load\n`);
  process.exit(1);
}
const plan = tracePlan(ruleset, { syscallsExtra: config.syscallsExtra, ringBytes: config.ringBytes }, false);
writeFileSync(out, encodePlan(plan, knownSyscalls()));
