// The agent's start-up path: rules load without the `yaml` package (js-yaml
// only); a load with something to report either says it has no positions
// (loadRuleFiles) or fetches the position-keeping parser and reports with
// lines (loadRuleFilesReporting). No module installs a parser behind the
// caller's back: positions come only when a load asks for them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadRuleFiles, loadRuleFilesReporting } from '../../src/rules/index.js';

const GOOD = '- rule: r\n  desc: d\n  condition: evt.type=execve and proc.name=sh\n  output: o\n  priority: INFO\n';
const BAD = '- rule: r\n  desc: d\n  condition: evt.type=execve and proc.nme=sh\n  output: o\n  priority: INFO\n';

test('a good file loads without the position-keeping parser', () => {
  const { ruleset, positions } = loadRuleFiles([{ name: 'g.yaml', content: GOOD }]);
  assert.ok(ruleset);
  assert.is(positions, undefined);
});

test('a broken file: the error without positions, then with them once the parser is fetched', async () => {
  const first = loadRuleFiles([{ name: 'b.yaml', content: BAD }]);
  assert.is(first.ruleset, undefined);
  assert.is(first.positions, false);
  assert.is(first.results[0]!.errors[0]!.code, 'LOAD_ERR_COMPILE_CONDITION');
  const { ruleset, results } = await loadRuleFilesReporting([{ name: 'b.yaml', content: BAD }]);
  assert.is(ruleset, undefined);
  const loc = (results[0]!.errors[0] as unknown as { context: { locations: { position: { line: number } }[] } }).context.locations;
  assert.ok(loc.some((l) => l.position.line === 3), JSON.stringify(loc));
});

test.run();
