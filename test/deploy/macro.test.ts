// The CloudFormation macro: the handler invoked with macro request events built
// from the fixtures (CloudFormation hands macros JSON, intrinsics in long
// form), then the bundle `npm run dist` makes, run as Lambda would load it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmp } from '../helpers.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { longForm } from '../../src/deploy/yaml-edit.js';
import { handler, type MacroEvent } from '../../src/deploy/macro.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const fixture = (name: string) => readFileSync(join(root, 'test', 'deploy', 'fixtures', name), 'utf8');
const INSTRUMENT = '/opt/draios/bin/instrument';
const QUIET = { LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv;

/** A template as CloudFormation gives it to a macro: JSON, short-form tags in long form. */
function asMacroJson(yaml: string): unknown {
  const doc = parseDocument(yaml, { merge: true });
  return JSON.parse(JSON.stringify(longForm(doc.contents, doc)));
}

function event(fragment: unknown, params: Record<string, unknown> = {}): MacroEvent {
  return { requestId: 'req-1', region: 'eu-west-1', accountId: '111122223333', transformId: '111122223333::DraiosInstrument', fragment, params, templateParameterValues: {} };
}

type Td = { Type: string; Properties: { ContainerDefinitions: Record<string, unknown>[] } };

test('the handler on a whole template: task definitions instrumented, the rest as it was', async () => {
  const template = JSON.parse(fixture('macro-template.json'));
  const r = await handler(event(template, { 'orchestrator-host': { 'Fn::GetAtt': ['Orch', 'Outputs.OrchestratorHost'] }, image: { Ref: 'AgentImage' } }), QUIET);
  assert.is(r.status, 'success', r.errorMessage);
  assert.is(r.requestId, 'req-1');
  const out = r.fragment as { Resources: Record<string, Td>; Outputs: unknown; Parameters: unknown };
  const [pinger, sidecar] = out.Resources['Pinger']!.Properties.ContainerDefinitions;
  assert.equal(pinger!['EntryPoint'], [INSTRUMENT, '/bin/ping']);
  assert.equal(pinger!['Command'], ['-c', '3', { Ref: 'Target' }], 'the Ref item of Command is kept');
  assert.equal(pinger!['Image'], { Ref: 'AppImage' });
  assert.equal((pinger!['Environment'] as unknown[])[0], { Name: 'SYSDIG_ORCHESTRATOR', Value: { 'Fn::GetAtt': ['Orch', 'Outputs.OrchestratorHost'] } });
  assert.equal(sidecar!['Image'], { Ref: 'AgentImage' }, 'an option given as an intrinsic stays one');
  assert.equal(out.Resources['Bucket'], template.Resources.Bucket);
  assert.equal(out.Outputs, template.Outputs);
  assert.equal(out.Parameters, template.Parameters);
  assert.equal(template, JSON.parse(fixture('macro-template.json')), 'the event is not modified');
});

test('the handler on the kilt-tagged and the intrinsics templates; options from the function configuration, params win', async () => {
  const env = { ...QUIET, INSTRUMENT_OPTIONS: JSON.stringify({ 'opt-in': 'true', 'orchestrator-host': 'from-config', priority: '' }) };
  const kilt = await handler(event(asMacroJson(fixture('kilt-tagged.yaml')), { 'orchestrator-host': 'from-params' }), env);
  assert.is(kilt.status, 'success', kilt.errorMessage);
  const res = (kilt.fragment as { Resources: Record<string, Td> }).Resources;
  assert.is(res['Api']!.Properties.ContainerDefinitions.length, 3, 'opt-in: untagged Api left alone');
  const [renderer, uploader] = res['Reports']!.Properties.ContainerDefinitions;
  assert.equal(renderer!['EntryPoint'], [INSTRUMENT, '/render']);
  assert.equal(uploader!['EntryPoint'], ['/upload']);
  assert.equal((renderer!['Environment'] as unknown[])[0], { Name: 'SYSDIG_ORCHESTRATOR', Value: 'from-params' });

  const intr = await handler(event(asMacroJson(fixture('intrinsics.yaml')), { 'orchestrator-host': 'o' }), QUIET);
  assert.is(intr.status, 'success', intr.errorMessage);
  const [api, worker] = (intr.fragment as { Resources: Record<string, Td> }).Resources['OrdersTask']!.Properties.ContainerDefinitions;
  assert.equal(api!['Command'], ['--bind', { Ref: 'ListenAddress' }, { 'Fn::Sub': '--stack=${AWS::StackName}' }]);
  assert.equal(worker!['Command'], { 'Fn::If': ['IsVerbose', ['-v', '--trace'], { Ref: 'WorkerArgs' }] });
  const ep = worker!['EntryPoint'] as { 'Fn::Split': [string, { 'Fn::Join': [string, unknown[]] }] };
  assert.equal(ep['Fn::Split'][1]['Fn::Join'][1], [INSTRUMENT, { 'Fn::Join': [ep['Fn::Split'][0], { 'Fn::Split': [',', { 'Fn::Join': [',', ['/srv/orders', 'work']] }] }] }]);
});

test('failures: every reason in errorMessage, the fragment handed back as it was', async () => {
  const template = JSON.parse(fixture('macro-template.json'));
  const bad = await handler(event(template, { priority: 'bogus', 'orchestrator-port': '99999', 'orchestrator-host': 'o' }), QUIET);
  assert.is(bad.status, 'failure');
  assert.match(bad.errorMessage!, /--priority "bogus": expected one of availability, security/);
  assert.match(bad.errorMessage!, /--orchestrator-port "99999": expected a port number from 1 to 65535/);
  assert.equal(bad.fragment, template);
  delete template.Resources.Pinger.Properties.ContainerDefinitions[0].EntryPoint;
  const noEntry = await handler(event(template), QUIET);
  assert.is(noEntry.status, 'failure');
  assert.match(noEntry.errorMessage!, /Resources\.Pinger: container "pinger": has no EntryPoint/);
  const broken = await handler(event(template, {}), { ...QUIET, INSTRUMENT_OPTIONS: '{not json' });
  assert.is(broken.status, 'failure');
  assert.ok(broken.errorMessage);
});

test('npm run dist bundles the handler: it runs on its own, as Lambda loads it (index.handler)', () => {
  const dir = tmp('cfn-macro-');
  try {
    const b = spawnSync(process.execPath, [join(root, 'scripts', 'dist.mjs'), '--macro-only', '--macro-dir', dir], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    assert.is(b.status, 0, b.stderr);
    const ev = event(JSON.parse(fixture('macro-template.json')));
    const script = `const m = await import(${JSON.stringify(join(dir, 'index.mjs'))}); process.stdout.write(JSON.stringify(await m.handler(${JSON.stringify(ev)})));`;
    // Run from an empty folder with no node_modules in reach: the bundle needs nothing else.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', INSTRUMENT_OPTIONS: JSON.stringify({ 'orchestrator-host': 'orch.internal' }) },
      timeout: 60_000,
    });
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { status: string; fragment: { Resources: Record<string, Td> } };
    assert.is(out.status, 'success');
    assert.equal(out.fragment.Resources['Pinger']!.Properties.ContainerDefinitions[0]!['EntryPoint'], [INSTRUMENT, '/bin/ping']);
    // Its log line is in the format of every program.
    const line = JSON.parse(r.stderr.trim().split('\n').pop()!) as Record<string, unknown>;
    assert.is(line['level'], 'info');
    assert.is(line['name'], 'cfn-macro');
    assert.is(line['requestId'], 'req-1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
