// agentctl instrument-taskdef: the seed's CloudFormation example, an ECS JSON
// task definition with two containers, idempotence, the missing-EntryPoint
// error. The CLI is run as a process (stdin/stdout/exit code), the library
// directly where that reads better.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, isScalar } from 'yaml';
import { instrumentDocument } from '../../src/deploy/document.js';
import { InstrumentError } from '../../src/deploy/taskdef.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const agentctl = join(root, 'out', 'src', 'cli', 'agentctl.js');

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

const TWO_CONTAINERS = {
  family: 'shop',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '512',
  memory: '1024',
  containerDefinitions: [
    {
      name: 'web',
      image: 'nginx:1.27',
      entryPoint: ['/docker-entrypoint.sh'],
      command: ['nginx', '-g', 'daemon off;'],
      linuxParameters: { capabilities: { add: ['NET_ADMIN'], drop: ['MKNOD'] } },
      environment: [{ name: 'MODE', value: 'prod' }],
      essential: true,
    },
    {
      name: 'worker',
      image: 'example/worker:2',
      entryPoint: ['/usr/bin/worker', '--queue', 'jobs'],
    },
  ],
};

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [agentctl, 'instrument-taskdef', ...args], { input: input ?? '', encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ORCH = ['--orchestrator-host', 'orchestrator.internal', '--orchestrator-port', '6667', '--access-key', 'KEY123'];

test('the seed TestApp (CloudFormation YAML) becomes the instrumented form, intrinsics kept', () => {
  const r = run([...ORCH, '--image', 'registry.example/workload-agent:1.0'], SEED);
  assert.is(r.stderr, '');
  assert.is(r.code, 0);
  const doc = parseDocument(r.stdout);
  assert.equal(doc.errors, []);
  const p = ['TestApp', 'Properties'];
  // Intrinsics are still tagged nodes, not strings or long forms.
  for (const path of [[...p, 'ExecutionRoleArn'], [...p, 'TaskRoleArn'], [...p, 'ContainerDefinitions', 0, 'Image']]) {
    const node = doc.getIn(path, true);
    assert.ok(isScalar(node), path.join('.'));
    assert.is((node as { tag?: string }).tag, '!Ref', path.join('.'));
  }
  assert.match(r.stdout, /ExecutionRoleArn: !Ref TestAppExecutionRole/);
  assert.match(r.stdout, /Image: !Ref TestAppImage/);
  const app = (doc.getIn([...p, 'ContainerDefinitions', 0]) as { toJSON(): Record<string, unknown> }).toJSON();
  assert.equal(app['EntryPoint'], ['/opt/draios/bin/instrument', '/bin/ping', 'google.com']);
  assert.is(app['Command'], undefined);
  assert.equal(app['LinuxParameters'], { Capabilities: { Add: ['SYS_PTRACE'] } });
  assert.equal(app['VolumesFrom'], [{ SourceContainer: 'SysdigInstrumentation', ReadOnly: true }]);
  assert.equal(app['Environment'], [
    { Name: 'SYSDIG_ORCHESTRATOR', Value: 'orchestrator.internal' },
    { Name: 'SYSDIG_ORCHESTRATOR_PORT', Value: '6667' },
    { Name: 'SYSDIG_ACCESS_KEY', Value: 'KEY123' },
  ]);
  const sidecar = (doc.getIn([...p, 'ContainerDefinitions', 1]) as { toJSON(): Record<string, unknown> }).toJSON();
  assert.is(sidecar['Name'], 'SysdigInstrumentation');
  assert.is(sidecar['Image'], 'registry.example/workload-agent:1.0');
  assert.is((doc.getIn([...p, 'ContainerDefinitions']) as { items: unknown[] }).items.length, 2);
  // Untouched parts stay as they were.
  assert.is(doc.getIn([...p, 'Memory']), '8GB');
  assert.is(doc.getIn([...p, 'Cpu']), 2048);
  assert.equal((doc.getIn([...p, 'Tags']) as { toJSON(): unknown }).toJSON(), [{ Key: 'application', Value: 'TestApp' }]);
});

test('--image may itself be an intrinsic in CloudFormation YAML', () => {
  const r = run(['--image', '!Ref WorkloadAgentImage'], SEED);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /- Name: SysdigInstrumentation\n\s+Image: !Ref WorkloadAgentImage\n/);
});

test('a JSON task definition with two containers: both instrumented, capabilities appended, env merged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'taskdef-'));
  const file = join(dir, 'td.json');
  writeFileSync(file, JSON.stringify(TWO_CONTAINERS, null, 2));
  const r = run([...ORCH, file]);
  assert.is(r.code, 0, r.stderr);
  const td = JSON.parse(r.stdout) as typeof TWO_CONTAINERS & { containerDefinitions: Record<string, unknown>[] };
  assert.is(td.family, 'shop');
  const [web, worker, sidecar] = td.containerDefinitions;
  assert.is(td.containerDefinitions.length, 3);
  assert.equal(web!['entryPoint'], ['/opt/draios/bin/instrument', '/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
  assert.is(web!['command'], undefined);
  assert.equal(web!['linuxParameters'], { capabilities: { add: ['NET_ADMIN', 'SYS_PTRACE'], drop: ['MKNOD'] } });
  assert.equal(web!['volumesFrom'], [{ sourceContainer: 'SysdigInstrumentation', readOnly: true }]);
  assert.equal(web!['environment'], [
    { name: 'MODE', value: 'prod' },
    { name: 'SYSDIG_ORCHESTRATOR', value: 'orchestrator.internal' },
    { name: 'SYSDIG_ORCHESTRATOR_PORT', value: '6667' },
    { name: 'SYSDIG_ACCESS_KEY', value: 'KEY123' },
  ]);
  assert.is(web!['essential'], true);
  assert.equal(worker!['entryPoint'], ['/opt/draios/bin/instrument', '/usr/bin/worker', '--queue', 'jobs']);
  assert.equal(worker!['linuxParameters'], { capabilities: { add: ['SYS_PTRACE'] } });
  assert.equal(sidecar, { name: 'SysdigInstrumentation', image: 'draios/workload-agent:latest', essential: false });
});

test('idempotent: instrumenting twice changes nothing (YAML, JSON, CloudFormation JSON)', () => {
  const cfnJson = JSON.stringify({
    AWSTemplateFormatVersion: '2010-09-09',
    Resources: {
      Td: {
        Type: 'AWS::ECS::TaskDefinition',
        Properties: { ContainerDefinitions: [{ Name: 'A', Image: { Ref: 'Img' }, EntryPoint: ['/a'], Command: ['x'] }] },
      },
      Other: { Type: 'AWS::S3::Bucket' },
    },
  });
  for (const input of [SEED, JSON.stringify(TWO_CONTAINERS), cfnJson]) {
    const once = run(ORCH, input);
    assert.is(once.code, 0, once.stderr);
    const twice = run(ORCH, once.stdout);
    assert.is(twice.code, 0, twice.stderr);
    assert.fixture(twice.stdout, once.stdout);
  }
  const once = JSON.parse(run(ORCH, cfnJson).stdout);
  assert.equal(once.Resources.Td.Properties.ContainerDefinitions[0].Image, { Ref: 'Img' });
  assert.equal(once.Resources.Td.Properties.ContainerDefinitions[0].EntryPoint, ['/opt/draios/bin/instrument', '/a', 'x']);
  assert.equal(once.Resources.Other, { Type: 'AWS::S3::Bucket' });
});

test('re-instrumenting with other options replaces the SYSDIG_* values, adds nothing twice', () => {
  const once = run(ORCH, SEED).stdout;
  const again = run(['--orchestrator-host', 'other.host', '--orchestrator-port', '7000'], once);
  assert.is(again.code, 0, again.stderr);
  const app = (parseDocument(again.stdout).getIn(['TestApp', 'Properties', 'ContainerDefinitions', 0]) as { toJSON(): Record<string, unknown> }).toJSON();
  assert.equal(app['Environment'], [
    { Name: 'SYSDIG_ORCHESTRATOR', Value: 'other.host' },
    { Name: 'SYSDIG_ORCHESTRATOR_PORT', Value: '7000' },
    { Name: 'SYSDIG_ACCESS_KEY', Value: 'KEY123' },
  ]);
  assert.equal(app['EntryPoint'], ['/opt/draios/bin/instrument', '/bin/ping', 'google.com']);
  assert.equal(app['VolumesFrom'], [{ SourceContainer: 'SysdigInstrumentation', ReadOnly: true }]);
});

test('a container without EntryPoint: a clear error naming it, nothing on stdout, exit 1', () => {
  const td = {
    containerDefinitions: [
      { name: 'ok', image: 'a', entryPoint: ['/a'] },
      { name: 'needs-entry', image: 'b', command: ['serve'] },
      { name: 'also-missing', image: 'c' },
    ],
  };
  const r = run(ORCH, JSON.stringify(td));
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /container "needs-entry": has no explicit entryPoint/);
  assert.match(r.stderr, /container "also-missing": has no explicit entryPoint/);
  assert.match(r.stderr, /cannot be known offline/);
  assert.match(r.stderr, /--entrypoint/);
  assert.not.match(r.stderr, /"ok"/);
  assert.throws(() => instrumentDocument(JSON.stringify(td), {}), (e: unknown) => e instanceof InstrumentError && e.problems.length === 2);
});

test('--entrypoint NAME=JSON supplies the image default for a container without one', () => {
  const td = { containerDefinitions: [{ name: 'needs-entry', image: 'b', command: ['serve', '--port', '80'] }] };
  const r = run(['--entrypoint', 'needs-entry=["/usr/local/bin/app"]'], JSON.stringify(td));
  assert.is(r.code, 0, r.stderr);
  const c = JSON.parse(r.stdout).containerDefinitions[0];
  assert.equal(c.entryPoint, ['/opt/draios/bin/instrument', '/usr/local/bin/app', 'serve', '--port', '80']);
  // An image without ENTRYPOINT: the Command is the program.
  const r2 = run(['--entrypoint', 'needs-entry=[]'], JSON.stringify(td));
  assert.is(r2.code, 0, r2.stderr);
  assert.equal(JSON.parse(r2.stdout).containerDefinitions[0].entryPoint, ['/opt/draios/bin/instrument', 'serve', '--port', '80']);
  // The CloudFormation spelling of the error.
  const r3 = run([], SEED.replace(/        EntryPoint:\n.*\n.*\n/, ''));
  assert.is(r3.code, 1);
  assert.match(r3.stderr, /TestApp: container "App": has no explicit EntryPoint/);
});

test('usage errors exit 2; not a task definition exits 1', () => {
  assert.is(run(['--no-such-option']).code, 2);
  assert.is(run(['--entrypoint', 'App=/bin/x']).code, 2);
  assert.is(run(['a', 'b']).code, 2);
  const r = run([], '{"hello": 1}');
  assert.is(r.code, 1);
  assert.match(r.stderr, /no task definition found/);
  const h = run(['--help']);
  assert.is(h.code, 0);
  assert.match(h.stdout, /usage: agentctl instrument-taskdef/);
});

test('option values written as intrinsics stay intrinsics in YAML', () => {
  const r = run(['--orchestrator-host', '!GetAtt Orchestrator.Outputs.OrchestratorHost'], SEED);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /- Name: SYSDIG_ORCHESTRATOR\n\s+Value: !GetAtt Orchestrator.Outputs.OrchestratorHost\n/);
  // In JSON there are no tags: the text is kept as a string.
  const j = run(['--image', '!Ref X'], JSON.stringify(TWO_CONTAINERS));
  assert.is(JSON.parse(j.stdout).containerDefinitions[2].image, '!Ref X');
});

test('docs/deploy.md shows what the tool really produces for the seed example', () => {
  const doc = readFileSync(join(root, 'docs', 'deploy.md'), 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.is(blocks[0], SEED);
  const r = run(['--orchestrator-host', 'orchestrator.internal', '--image', '!Ref WorkloadAgentImage'], SEED);
  assert.fixture(blocks[1]!, r.stdout);
});

test.run();
