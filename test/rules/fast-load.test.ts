// The loader reads rule files with a fast parser (js-yaml) and falls back to
// the position-keeping one (yaml) for any error or warning. Both must give
// the same rules: checked on the upstream files, alone and stacked, and ours.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadFiles, loadFilesWith, type LoadOutput } from '../../src/rules/loader.js';
import { parseWithPositions } from '../../src/rules/yaml-positions.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const shared = join(root, 'rules', 'upstream');
const file = (p: string) => ({ name: p, content: readFileSync(p, 'utf8') });
const stable = file(join(shared, 'falco_rules.yaml'));
const incubating = file(join(shared, 'falco-incubating_rules.yaml'));
const sandbox = file(join(shared, 'falco-sandbox_rules.yaml'));
const ours = file(join(root, 'rules', 'default.yaml'));
const ctx = { hostname: 'h' };

function summary(o: LoadOutput) {
  return {
    results: o.results,
    rules: o.rules.map((r) => ({
      name: r.name, desc: r.desc, condition: r.condition, compiled: r.compiledCondition, output: r.outputFormat,
      priority: r.priority, source: r.source, tags: r.tags, enabled: r.enabled, index: r.index,
      evttypes: r.evttypes === 'all' ? 'all' : [...r.evttypes].sort(), fields: r.fields,
    })),
  };
}

for (const [label, files] of [
  ['stable', [stable]], ['incubating', [incubating]], ['sandbox', [sandbox]],
  ['stable + incubating + sandbox', [stable, incubating, sandbox]], ['rules/default.yaml', [ours]],
] as const) {
  test(`${label}: the fast parser and the position-keeping parser give the same rules`, () => {
    const fast = loadFilesWith([...files], ctx, true);
    const precise = loadFilesWith([...files], ctx, false, parseWithPositions);
    assert.ok(precise.rules.length > 0);
    assert.equal(summary(fast), summary(precise));
  });
}

test('a file with a warning is reported with its position (the precise path answers)', () => {
  const content = '- list: unused\n  items: [a]\n- rule: r\n  desc: d\n  condition: evt.type=execve\n  output: o\n  priority: INFO\n';
  const out = loadFiles([{ name: 'w.yaml', content }], ctx, parseWithPositions);
  const w = out.results[0]!.warnings[0] as unknown as { context: { locations: { position: { line: number } }[] } };
  assert.ok(w, 'a warning');
  assert.is(w.context.locations[1]!.position.line, 0); // 0-based, after the whole-file location
});

test('an alias takes the position-keeping path, so both parsers agree on it', () => {
  const content = '- list: a\n  items: &x [bash]\n- list: b\n  items: *x\n- rule: r\n  desc: d\n  condition: proc.name in (a, b)\n  output: o\n  priority: INFO\n';
  assert.throws(() => loadFilesWith([{ name: 'a.yaml', content }], ctx, true));
  const out = loadFiles([{ name: 'a.yaml', content }], ctx, parseWithPositions);
  assert.equal(summary(out), summary(loadFilesWith([{ name: 'a.yaml', content }], ctx, false, parseWithPositions)));
});

test('a YAML syntax error is reported by the position-keeping parser', () => {
  const out = loadFiles([{ name: 'bad.yaml', content: '- rule: x\n  desc: [unclosed\n' }], ctx, parseWithPositions);
  assert.is(out.results[0]!.errors[0]!.code, 'LOAD_ERR_YAML_PARSE');
  assert.ok((out.results[0]!.errors[0] as unknown as { context: { locations: { position: { line: number } }[] } }).context.locations.at(-1)!.position.line >= 1);
});

test.run();
