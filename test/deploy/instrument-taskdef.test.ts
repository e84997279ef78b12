// agentctl instrument-taskdef on the inputs Fargate users have: Terraform's
// bare container list, kilt-tagged CloudFormation, intrinsics and merge keys,
// describe-task-definition output, images without an explicit EntryPoint.
// Fixtures are in test/deploy/fixtures/. The CLI is run as a process
// (stdin/stdout/exit code), the library directly where that reads better.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmp } from '../helpers.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, isScalar, isSeq } from 'yaml';
import { instrumentDocument, READ_ONLY_FIELDS } from '../../src/deploy/document.js';
import { InstrumentError } from '../../src/deploy/taskdef.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const agentctl = join(root, 'bin', 'agentctl');
const fixture = (name: string) => join(root, 'test', 'deploy', 'fixtures', name);
const read = (name: string) => readFileSync(fixture(name), 'utf8');
const INSTRUMENT = '/opt/draios/bin/instrument';

const SEED = `TestApp:
  Type: AWS::ECS::TaskDefinition
  Properties:
    NetworkMode: awsvpc
    RequiresCompatibilities:
      - FARGATE
    Cpu: 2048
    Memory: 8GB
    ExecutionRoleArn: !Ref TestAppExecutionRole
    TaskRoleArn: !Ref TestAppTaskRole
    ContainerDefinitions:
      - Name: App
        Image: !Ref TestAppImage
        EntryPoint:
        - /bin/ping
        - google.com
    Tags:
      - Key: application
        Value: TestApp
`;

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [agentctl, 'instrument-taskdef', ...args], { input: input ?? '', encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type C = Record<string, unknown>;
const byName = (list: C[], name: string, key = 'name') => list.find((c) => c[key] === name)!;

// What Docker/ECS runs: the task definition's EntryPoint, else the image's;
// then the override's command, else the task definition's Command, else the
// image's CMD, which an explicit EntryPoint drops.
function effectiveArgv(c: C, image: { entrypoint: string[]; cmd: string[] }, override?: string[], k = (s: string) => s): string[] {
  const ep = (c[k('entryPoint')] as string[] | undefined) ?? [];
  const cmd = c[k('command')] as string[] | undefined;
  const entry = ep.length ? ep : image.entrypoint;
  const args = override ?? cmd ?? (ep.length ? [] : image.cmd);
  return [...entry, ...args];
}

const ORCH = ['--orchestrator-host', 'orchestrator.internal', '--access-key', 'KEY123'];

test('Terraform: the bare container list with ignore_containers and an image config', () => {
  const input = read('terraform-containers.json');
  const r = run([...ORCH, '--ignore-containers', 'mesh-proxy', '--image-config', `thumbnailer=${fixture('thumbnailer-inspect.json')}`], input);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
  const out = JSON.parse(r.stdout) as C[];
  const before = JSON.parse(input) as C[];
  assert.ok(Array.isArray(out), 'a bare list in, a bare list out');
  assert.equal(out.map((c) => c['name']), ['storefront', 'mesh-proxy', 'thumbnailer', 'SysdigInstrumentation']);
  assert.equal(byName(out, 'mesh-proxy'), byName(before, 'mesh-proxy'), 'an ignored container is untouched');

  const web = byName(out, 'storefront');
  assert.equal(web['entryPoint'], [INSTRUMENT, '/usr/local/bin/tini', '--']);
  assert.equal(web['command'], ['node', 'server.js', '--port', '8080'], 'Command untouched');
  assert.equal(web['linuxParameters'], { capabilities: { add: ['SYS_PTRACE'] } });
  assert.equal(web['volumesFrom'], [{ sourceContainer: 'SysdigInstrumentation', readOnly: true }]);
  assert.equal(web['environment'], [
    { name: 'NODE_ENV', value: 'production' },
    { name: 'SYSDIG_ORCHESTRATOR', value: 'orchestrator.internal' },
    { name: 'SYSDIG_ORCHESTRATOR_PORT', value: '6667' },
    { name: 'SYSDIG_ACCESS_KEY', value: 'KEY123' },
    { name: 'SYSDIG_PRIORITY', value: 'availability' },
    { name: 'SYSDIG_SIDECAR', value: 'auto' },
    { name: 'SYSDIG_EXTRA_ARGS', value: '--orchestrator-tls' },
  ]);
  assert.equal(web['logConfiguration'], byName(before, 'storefront')['logConfiguration']);

  // No EntryPoint: the image's ENTRYPOINT comes from `docker inspect`; its Command stays.
  const thumb = byName(out, 'thumbnailer');
  assert.equal(thumb['entryPoint'], [INSTRUMENT, '/app/thumbnailer']);
  assert.equal(thumb['command'], ['--queue', 'thumbnails', '--concurrency', '4']);

  assert.equal(byName(out, 'SysdigInstrumentation'), {
    name: 'SysdigInstrumentation',
    image: 'draios/workload-agent:latest',
    entryPoint: ['/opt/draios/bin/logwriter'],
    essential: false,
  });
});

test('the effective argv is unchanged behind the instrument prefix, with and without an ECS command override', () => {
  const images: Record<string, { entrypoint: string[]; cmd: string[] }> = {
    storefront: { entrypoint: ['/ignored'], cmd: ['ignored'] },
    thumbnailer: { entrypoint: ['/app/thumbnailer'], cmd: ['--queue', 'default'] },
    cron: { entrypoint: [], cmd: ['/usr/bin/report', '--daily'] },
  };
  const list = [
    ...(JSON.parse(read('terraform-containers.json')) as C[]).filter((c) => c['name'] !== 'mesh-proxy'),
    { name: 'cron', image: 'example/cron:1' }, // neither EntryPoint nor Command
    { name: 'ep-only', image: 'example/ep:1', entryPoint: ['/bin/run'] },
  ];
  images['ep-only'] = { entrypoint: ['/not-used'], cmd: ['not-used'] };
  const r = run(
    ['--image-config', `thumbnailer=${fixture('thumbnailer-inspect.json')}`, '--image-config', `cron=${fixture('cron-inspect.json')}`],
    JSON.stringify(list),
  );
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as C[];
  for (const before of list) {
    const name = before['name'] as string;
    const after = byName(out, name);
    const image = images[name]!;
    assert.equal(effectiveArgv(after, image), [INSTRUMENT, ...effectiveArgv(before, image)], name);
    const override = ['--one-off', 'job'];
    assert.equal(effectiveArgv(after, image, override), [INSTRUMENT, ...effectiveArgv(before, image, override)], `${name} with containerOverrides.command`);
  }
  // The image's CMD is written out only where the Command was missing (an explicit EntryPoint drops it).
  assert.equal(byName(out, 'cron')['command'], ['/usr/bin/report', '--daily']);
  assert.equal(byName(out, 'cron')['entryPoint'], [INSTRUMENT]);
  assert.is(byName(out, 'ep-only')['command'], undefined);
});

test('no EntryPoint and no image config: a clear error naming the container and both ways out', () => {
  const r = run([], read('terraform-containers.json'));
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /container "mesh-proxy": has no entryPoint/);
  assert.match(r.stderr, /container "thumbnailer": has no entryPoint/);
  assert.match(r.stderr, /add entryPoint to the container/);
  assert.match(r.stderr, /--image-config thumbnailer=FILE/);
  assert.not.match(r.stderr, /"storefront"/);
  assert.throws(() => instrumentDocument(read('terraform-containers.json'), {}), (e: unknown) => e instanceof InstrumentError && e.problems.length === 2);
  // --entrypoint gives the ENTRYPOINT, but without a Command the image's CMD is still unknown.
  const cron = run(['--entrypoint', 'cron=[]'], JSON.stringify([{ name: 'cron', image: 'x' }]));
  assert.is(cron.code, 1);
  assert.match(cron.stderr, /container "cron": has neither entryPoint nor command: the image's CMD would be lost/);
});

test('kilt tags: kilt-ignore, kilt-ignore-containers, non-FARGATE skipped, kilt-include-containers in opt-in mode', () => {
  const input = read('kilt-tagged.yaml');
  const r = run(ORCH, input);
  assert.is(r.code, 0, r.stderr);
  const doc = parseDocument(r.stdout).toJS() as { Resources: Record<string, { Properties: { ContainerDefinitions: C[] } }> };
  const src = parseDocument(input).toJS() as typeof doc;
  const names = (res: string) => doc.Resources[res]!.Properties.ContainerDefinitions.map((c) => c['Name']);
  const ep = (res: string, name: string) => byName(doc.Resources[res]!.Properties.ContainerDefinitions, name, 'Name')['EntryPoint'];

  assert.equal(names('Api'), ['api', 'metrics', 'debug', 'SysdigInstrumentation']);
  assert.equal(ep('Api', 'api'), [INSTRUMENT, '/srv/api']);
  assert.equal(ep('Api', 'metrics'), ['/bin/statsd_exporter'], 'kilt-ignore-containers (":"-separated)');
  assert.equal(ep('Api', 'debug'), ['/bin/sleep', 'infinity']);
  assert.equal(doc.Resources['LegacyBatch'], src.Resources['LegacyBatch'], 'kilt-ignore');
  assert.equal(doc.Resources['OnEc2'], src.Resources['OnEc2'], 'EC2 only');
  assert.equal(names('Reports'), ['renderer', 'uploader', 'SysdigInstrumentation'], 'opt-out mode: every container');
  assert.match(r.stderr, /Resources\.LegacyBatch: left as it is: tagged kilt-ignore/);
  assert.match(r.stderr, /Resources\.OnEc2: left as it is: not FARGATE-compatible .*--all/);

  // --all takes the EC2 one too.
  const all = parseDocument(run([...ORCH, '--all'], input).stdout).toJS() as typeof doc;
  assert.is(all.Resources['OnEc2']!.Properties.ContainerDefinitions.length, 2);

  // Opt-in: only the tagged task definition, only the named container.
  const optIn = run([...ORCH, '--opt-in'], input);
  assert.is(optIn.code, 0, optIn.stderr);
  const inDoc = parseDocument(optIn.stdout).toJS() as typeof doc;
  assert.equal(inDoc.Resources['Api'], src.Resources['Api']);
  const reports = inDoc.Resources['Reports']!.Properties.ContainerDefinitions;
  assert.equal(byName(reports, 'renderer', 'Name')['EntryPoint'], [INSTRUMENT, '/render']);
  assert.equal(byName(reports, 'uploader', 'Name')['EntryPoint'], ['/upload']);
});

test('intrinsics kept (Ref item in Command, !Sub, !Split, !If) and merge keys resolved', () => {
  const input = read('intrinsics.yaml');
  const r = run(['--orchestrator-host', '!GetAtt Orchestrator.Outputs.OrchestratorHost', '--image', '!Ref AgentImage'], input);
  assert.is(r.code, 0, r.stderr);
  const doc = parseDocument(r.stdout, { merge: true });
  assert.equal(doc.errors, []);
  const cd = ['Resources', 'OrdersTask', 'Properties', 'ContainerDefinitions'];
  const api = doc.getIn([...cd, 0], true) as { toJSON(): C; get(k: string, keep: true): unknown };
  const apiJs = api.toJSON();
  // The merge key is resolved into the container; the anchor it came from is still there.
  assert.is(apiJs['Image'] === undefined, false);
  assert.is(apiJs['Essential'], true);
  assert.equal(apiJs['EntryPoint'], [INSTRUMENT, '/srv/orders', 'serve']);
  const cmd = api.get('Command', true);
  assert.ok(isSeq(cmd));
  assert.is((cmd.items[1] as { tag?: string }).tag, '!Ref', 'the Ref item of Command is still a !Ref');
  assert.is((cmd.items[2] as { tag?: string }).tag, '!Sub');
  assert.match(r.stdout, /Command: \[--bind, !Ref ListenAddress, !Sub "--stack=\$\{AWS::StackName\}"\]/, 'Command kept byte-for-byte');
  const env = apiJs['Environment'] as C[];
  assert.equal(env[0], { Name: 'STAGE', Value: '${AWS::StackName}-orders' }, 'merged Environment kept first');
  assert.match(r.stdout, /Value: !GetAtt Orchestrator.Outputs.OrchestratorHost/);

  // A whole-intrinsic EntryPoint gets the prefix through Fn::Join/Fn::Split; Command (an !If) is untouched.
  const worker = doc.getIn([...cd, 1], true) as { get(k: string, keep: true): { tag?: string; toJSON(): unknown } };
  assert.is(worker.get('Command', true).tag, '!If');
  const wep = worker.get('EntryPoint', true).toJSON() as { 'Fn::Split': [string, { 'Fn::Join': [string, unknown[]] }] };
  const sep = wep['Fn::Split'][0];
  assert.is(wep['Fn::Split'][1]['Fn::Join'][0], sep);
  assert.is(wep['Fn::Split'][1]['Fn::Join'][1][0], INSTRUMENT);
  assert.match(r.stdout, /!Split \[ ",", !Join \[ ",", \[ "\/srv\/orders", "work" \] \] \]/, 'the original intrinsic is carried inside');

  const sidecar = (doc.getIn([...cd, 2], true) as { get(k: string, keep: true): { tag?: string } }).get('Image', true);
  assert.is(sidecar.tag, '!Ref');

  // Idempotent, intrinsic EntryPoint included.
  const again = run(['--orchestrator-host', '!GetAtt Orchestrator.Outputs.OrchestratorHost', '--image', '!Ref AgentImage'], r.stdout);
  assert.is(again.code, 0, again.stderr);
  assert.fixture(again.stdout, r.stdout);
});

test('a YAML template keeps every byte outside the edited containers: comments, flow styles, folded scalars, anchors', () => {
  const input = read('intrinsics.yaml');
  const r = run(ORCH, input);
  assert.is(r.code, 0, r.stderr);
  const out = r.stdout;
  // Everything up to the first container, byte-for-byte.
  const head = input.slice(0, input.indexOf('        - <<: *common'));
  assert.ok(out.startsWith(head), 'the text before the containers is unchanged');
  assert.match(head, /# Orders service/);
  assert.match(head, /OrdersImage: \{Type: String\}           # flow mapping, kept as it is/);
  assert.match(head, /Common: &common   # shared settings/);
  assert.match(head, /Description: >-\n        A folded description\n        that must stay folded.\n/);
  // Everything after the last container, byte-for-byte.
  const tail = input.slice(input.indexOf('      Tags:\n        - {Key: team'));
  assert.ok(out.endsWith(tail), 'the text after the containers is unchanged');
  assert.match(tail, /# end of template\n$/);
  // The comments between containers too.
  assert.match(out, /\n        # the HTTP front\n        - /);
  assert.match(out, /\n        # the queue consumer: its arguments come from a parameter\n        - /);
});

test('a flow-style ContainerDefinitions becomes a block list under its key; the lines around it stay', () => {
  const input = `# flow\nT:\n  Type: AWS::ECS::TaskDefinition\n  Properties:\n    RequiresCompatibilities: [FARGATE]   # kept\n    ContainerDefinitions: [{Name: a, Image: x, EntryPoint: [/a]}]\n    Tags: [{Key: k, Value: v}]\n`;
  const r = run([], input);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
  assert.ok(r.stdout.startsWith('# flow\nT:\n  Type: AWS::ECS::TaskDefinition\n  Properties:\n    RequiresCompatibilities: [FARGATE]   # kept\n    ContainerDefinitions:\n      - Name: a\n'));
  assert.ok(r.stdout.endsWith('\n    Tags: [{Key: k, Value: v}]\n'));
  const cd = (parseDocument(r.stdout).getIn(['T', 'Properties', 'ContainerDefinitions']) as { toJSON(): C[] }).toJSON();
  assert.equal(cd[0]!['EntryPoint'], [INSTRUMENT, '/a']);
  assert.is(cd[1]!['Name'], 'SysdigInstrumentation');
  assert.fixture(run([], r.stdout).stdout, r.stdout);
});

test('describe-task-definition output becomes a registrable document', () => {
  const r = run(ORCH, read('describe-output.json'));
  assert.is(r.code, 0, r.stderr);
  const td = JSON.parse(r.stdout) as C;
  assert.is(td['taskDefinition'], undefined, 'unwrapped');
  for (const f of READ_ONLY_FIELDS) assert.is(td[f], undefined, `${f} dropped`);
  assert.is(td['family'], 'billing-api');
  assert.equal(td['requiresCompatibilities'], ['FARGATE']);
  assert.equal(td['tags'], [{ key: 'team', value: 'billing' }], 'the tags travel with it');
  const [api, sidecar] = td['containerDefinitions'] as C[];
  assert.equal(api!['entryPoint'], [INSTRUMENT, '/srv/billing/bin/start']);
  assert.equal(api!['command'], ['--listen', ':9000']);
  assert.is(sidecar!['name'], 'SysdigInstrumentation');
  // Every remaining key is one register-task-definition takes.
  const registerKeys = ['family', 'taskRoleArn', 'executionRoleArn', 'networkMode', 'containerDefinitions', 'volumes', 'placementConstraints', 'requiresCompatibilities', 'cpu', 'memory', 'tags', 'pidMode', 'ipcMode', 'proxyConfiguration', 'inferenceAccelerators', 'ephemeralStorage', 'runtimePlatform'];
  for (const k of Object.keys(td)) assert.ok(registerKeys.includes(k), `${k} is a register-task-definition field`);
});

test('Terraform external data source: a query in, an object of strings out', () => {
  const query = { container_definitions: read('terraform-containers.json'), ignore_containers: 'mesh-proxy,thumbnailer' };
  const r = run(ORCH, JSON.stringify(query));
  assert.is(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(Object.keys(res), ['container_definitions']);
  const list = JSON.parse(res['container_definitions'] as string) as C[];
  assert.equal(list.map((c) => c['name']), ['storefront', 'mesh-proxy', 'thumbnailer', 'SysdigInstrumentation']);
});

test('the sidecar as the Terraform provider makes it: awslogs, repository credentials, priority', () => {
  const r = run(
    ['--log-group', '/ecs/agents', '--log-stream-prefix', 'agent', '--log-region', 'eu-west-1', '--image-auth-secret', 'arn:aws:secretsmanager:eu-west-1:1:secret:reg', '--priority', 'security', '--image', 'registry.example/agent:2'],
    JSON.stringify([{ name: 'a', image: 'x', entryPoint: ['/a'] }]),
  );
  assert.is(r.code, 0, r.stderr);
  const [a, sidecar] = JSON.parse(r.stdout) as C[];
  assert.equal(sidecar, {
    name: 'SysdigInstrumentation',
    image: 'registry.example/agent:2',
    entryPoint: ['/opt/draios/bin/logwriter'],
    essential: false,
    logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/agents', 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': 'agent' } },
    repositoryCredentials: { credentialsParameter: 'arn:aws:secretsmanager:eu-west-1:1:secret:reg' },
  });
  assert.equal((a!['environment'] as C[]).find((e) => e['name'] === 'SYSDIG_PRIORITY'), { name: 'SYSDIG_PRIORITY', value: 'security' });
  const half = run(['--log-group', '/ecs/agents'], '[]');
  assert.is(half.code, 2);
  assert.match(half.stderr, /--log-group, --log-stream-prefix and --log-region go together/);
});

test('agents speak TLS to the orchestrator by default; --orchestrator-plaintext and an explicit flag are respected', () => {
  const td = JSON.stringify([{ name: 'a', image: 'x', entryPoint: ['/a'] }]);
  const extra = (args: string[]) => {
    const r = run(args, td);
    assert.is(r.code, 0, r.stderr);
    return ((JSON.parse(r.stdout) as C[])[0]!['environment'] as C[]).find((e) => e['name'] === 'SYSDIG_EXTRA_ARGS')?.['value'];
  };
  assert.is(extra(['--orchestrator-host', 'o']), '--orchestrator-tls');
  assert.is(extra(['--orchestrator-host', 'o', '--extra-args=--orchestrator-ca /etc/ca.pem']), '--orchestrator-tls --orchestrator-ca /etc/ca.pem');
  assert.is(extra(['--orchestrator-host', 'o', '--orchestrator-plaintext']), '--no-orchestrator-tls');
  assert.is(extra(['--orchestrator-host', 'o', '--extra-args=--no-orchestrator-tls']), '--no-orchestrator-tls');
  assert.is(extra(['--collector-host', 'c']), undefined, 'the collector is TLS already');
  // The agent's own reading of what was written: TLS on.
  const bad = run(['--orchestrator-host', 'o', '--extra-args=--no-such-flag'], td);
  assert.is(bad.code, 2, 'SYSDIG_EXTRA_ARGS is checked by the agent\'s parser too');
  assert.match(bad.stderr, /--extra-args/);
});

test('bad option values: clear errors, exit 2, nothing written', () => {
  const td = JSON.stringify([{ name: 'a', image: 'x', entryPoint: ['/a'] }]);
  const prio = run(['--priority', 'bogus'], td);
  assert.is(prio.code, 2);
  assert.is(prio.stdout, '');
  assert.match(prio.stderr, /--priority "bogus": expected one of availability, security, got "bogus"/);
  const port = run(['--orchestrator-host', 'o', '--orchestrator-port', '99999'], td);
  assert.is(port.code, 2);
  assert.match(port.stderr, /--orchestrator-port "99999": expected a port number from 1 to 65535/);
  const sc = run(['--sidecar', 'sometimes'], td);
  assert.is(sc.code, 2);
  assert.match(sc.stderr, /--sidecar "sometimes": expected auto, force or empty/);
  const lv = run(['--logging', 'loud'], td);
  assert.is(lv.code, 2);
  assert.match(lv.stderr, /--logging "loud": expected one of/);
  // An intrinsic is not known before deployment: not checked.
  assert.is(run(['--orchestrator-host', 'o', '--orchestrator-port', '!Ref Port'], SEED).code, 0);
  // A container the document does not have.
  const ep = run(['--entrypoint', 'nosuch=["/x"]'], td);
  assert.is(ep.code, 1);
  assert.match(ep.stderr, /--entrypoint nosuch: no container named "nosuch" in the document \(containers: a\)/);
  const ic = run(['--image-config', `ghost=${fixture('cron-inspect.json')}`], td);
  assert.is(ic.code, 1);
  assert.match(ic.stderr, /--image-config ghost: no container named "ghost"/);
  const badFile = run(['--image-config', `a=${fixture('kilt-tagged.yaml')}`], td);
  assert.is(badFile.code, 2);
  assert.match(badFile.stderr, /not JSON \(expected the output of `docker inspect IMAGE`\)/);
  // Usage errors.
  assert.is(run(['--no-such-option']).code, 2);
  assert.is(run(['--entrypoint', 'App=/bin/x']).code, 2);
  assert.is(run(['a', 'b']).code, 2);
  const notTd = run([], '{"hello": 1}');
  assert.is(notTd.code, 1);
  assert.match(notTd.stderr, /no task definition found/);
});

test('idempotent: instrumenting twice changes nothing (YAML, ECS JSON, CloudFormation JSON, bare list)', () => {
  const imageConfig = ['--image-config', `thumbnailer=${fixture('thumbnailer-inspect.json')}`, '--ignore-containers', 'mesh-proxy'];
  for (const [input, extra] of [
    [SEED, []],
    [read('macro-template.json'), []],
    [read('describe-output.json'), []],
    [read('terraform-containers.json'), imageConfig],
    [read('kilt-tagged.yaml'), []],
  ] as const) {
    const once = run([...ORCH, ...extra], input);
    assert.is(once.code, 0, once.stderr);
    const twice = run([...ORCH, ...extra], once.stdout);
    assert.is(twice.code, 0, twice.stderr);
    assert.fixture(twice.stdout, once.stdout);
  }
});

test('re-instrumenting with other options replaces the SYSDIG_* values and the sidecar image', () => {
  const once = run(ORCH, SEED).stdout;
  const again = run(['--orchestrator-host', 'other.host', '--orchestrator-port', '7000', '--image', 'agent:2'], once);
  assert.is(again.code, 0, again.stderr);
  const cd = parseDocument(again.stdout).getIn(['TestApp', 'Properties', 'ContainerDefinitions']) as { toJSON(): C[] };
  const [app, sidecar] = cd.toJSON();
  const env = Object.fromEntries((app!['Environment'] as C[]).map((e) => [e['Name'], e['Value']]));
  assert.is(env['SYSDIG_ORCHESTRATOR'], 'other.host');
  assert.is(env['SYSDIG_ORCHESTRATOR_PORT'], '7000');
  assert.is(env['SYSDIG_ACCESS_KEY'], 'KEY123', 'a variable not given again is kept');
  assert.equal(app!['EntryPoint'], [INSTRUMENT, '/bin/ping', 'google.com']);
  assert.is(sidecar!['Image'], 'agent:2');
});

test('CloudFormation JSON: intrinsics stay, options given as intrinsics become intrinsics', () => {
  const r = run(['--image', '{"Ref": "AgentImage"}', '--orchestrator-host', '!GetAtt Orch.Outputs.OrchestratorHost'], read('macro-template.json'));
  assert.is(r.code, 0, r.stderr);
  const t = JSON.parse(r.stdout);
  const [pinger, sidecar] = t.Resources.Pinger.Properties.ContainerDefinitions;
  assert.equal(pinger.Command, ['-c', '3', { Ref: 'Target' }]);
  assert.equal(pinger.EntryPoint, [INSTRUMENT, '/bin/ping']);
  assert.equal(pinger.Image, { Ref: 'AppImage' });
  assert.equal(sidecar.Image, { Ref: 'AgentImage' });
  assert.equal(pinger.Environment[0], { Name: 'SYSDIG_ORCHESTRATOR', Value: { 'Fn::GetAtt': ['Orch', 'Outputs.OrchestratorHost'] } });
  assert.equal(t.Resources.Bucket, { Type: 'AWS::S3::Bucket' });
  assert.ok(/^ {2}"AWSTemplateFormatVersion"/m.test(r.stdout), 'written with the input indentation');
});

test('docs/deploy.md shows what the tool really produces for the seed example', () => {
  const doc = readFileSync(join(root, 'docs', 'deploy.md'), 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.is(blocks[0], SEED);
  const r = run(['--orchestrator-host', 'orchestrator.internal', '--image', '!Ref WorkloadAgentImage'], SEED);
  assert.fixture(blocks[1]!, r.stdout);
  // The seed's own intrinsics are still tagged nodes.
  const node = parseDocument(r.stdout).getIn(['TestApp', 'Properties', 'ExecutionRoleArn'], true);
  assert.ok(isScalar(node) && node.tag === '!Ref');
});

test('a file argument is read like stdin', () => {
  const dir = tmp('taskdef-');
  const file = join(dir, 'seed.yaml');
  writeFileSync(file, SEED);
  const a = run(ORCH, SEED);
  const b = run([...ORCH, file]);
  assert.is(b.code, 0, b.stderr);
  assert.is(b.stdout, a.stdout);
});

test.run();
