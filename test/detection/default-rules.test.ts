// The embedded default rule set (rules/default.yaml, loaded when no rules are
// configured) fired by the same kind of real programs as the stable rules,
// and quiet on ordinary ones. Also the debug view (SYSDIG_LOGGING=trace).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { mkdirSync, readFileSync, rmSync, copyFileSync, chmodSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tmp, runForAlerts, namedBinary } from '../helpers.js';
import { useEcsMetadata, ECS_CONTAINER } from '../ecs-metadata.js';
import type { FalcoAlert } from '../../src/alerts/alert.js';

const PY = '/usr/bin/python3';
const dir = tmp('default-');
const ecs = useEcsMetadata(test, () => rmSync(dir, { recursive: true, force: true }));

function run(argv: string[], env: Record<string, string> = {}) {
  return runForAlerts(argv, '', { ECS_CONTAINER_METADATA_URI_V4: ecs.uri, ...env });
}

function fired(alerts: FalcoAlert[], rule: string): FalcoAlert {
  const a = alerts.find((x) => x.rule === rule);
  assert.ok(a, `expected "${rule}", got ${JSON.stringify(alerts.map((x) => x.rule))}`);
  assert.is(a!.output_fields['container.id'], ECS_CONTAINER.DockerId.slice(0, 12));
  return a!;
}

const named = (name: string, target: string) => namedBinary(dir, name, target);


test('credential file read', async () => {
  const { alerts } = await run(['sh', '-c', 'cat /etc/shadow > /dev/null']);
  const a = fired(alerts, 'Fargate credential file read');
  assert.is(a.output_fields['fd.name'], '/etc/shadow');
  assert.is(a.output_fields['proc.pname'], 'sh');
});

test('private key read', async () => {
  const keydir = join(dir, '.ssh');
  mkdirSync(keydir, { recursive: true });
  writeFileSync(join(keydir, 'id_rsa'), 'x');
  const { alerts } = await run(['cat', join(keydir, 'id_rsa')]);
  fired(alerts, 'Fargate private key or cloud credential read');
});

test('shell started by a server process', async () => {
  const nginx = named('nginx', PY);
  const { alerts } = await run([nginx, '-c', 'import subprocess; subprocess.run(["sh", "-c", "id > /dev/null"])']);
  const a = fired(alerts, 'Fargate shell started by a server process');
  assert.is(a.output_fields['proc.pname'], 'nginx');
});

test('credential search', async () => {
  const { alerts } = await run(['grep', '-ri', 'password', dir]);
  fired(alerts, 'Fargate credential search');
});

test('link over a sensitive file', async () => {
  const { alerts } = await run(['ln', '-s', '/etc/shadow', join(dir, 'innocent')]);
  fired(alerts, 'Fargate link over a sensitive file');
});

test('packet socket', async () => {
  const { alerts } = await run([PY, '-c', 'import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW)']);
  fired(alerts, 'Fargate packet socket');
});

test('fileless execution', async () => {
  const script = 'import os; fd = os.memfd_create("x"); os.write(fd, open("/bin/true", "rb").read()); os.execv(f"/proc/self/fd/{fd}", ["x"])';
  const { alerts } = await run([PY, '-c', script]);
  fired(alerts, 'Fargate fileless execution');
});

test('execution from /dev/shm', async () => {
  const f = `/dev/shm/agent-default-${process.pid}`;
  copyFileSync('/bin/true', f);
  chmodSync(f, 0o755);
  try {
    const { alerts } = await run(['sh', '-c', f]);
    fired(alerts, 'Fargate execution from /dev/shm');
  } finally {
    rmSync(f, { force: true });
  }
});

test('ptrace attach to a process', async () => {
  // A process outside the workload: inside it every process is already ours to trace.
  const victim = execa('sleep', ['30']);
  try {
    const { alerts } = await run([PY, '-c', `import ctypes; ctypes.CDLL(None).ptrace(16, ${victim.pid}, 0, 0)`]);
    const a = fired(alerts, 'Fargate ptrace attach');
    assert.is(a.priority, 'Warning');
  } finally {
    victim.kill('SIGKILL');
    await victim.catch(() => undefined);
  }
});

test('log or history cleared', async () => {
  writeFileSync(join(dir, '.bash_history'), 'ls\n');
  const { alerts } = await run(['sh', '-c', `: > ${dir}/.bash_history`]);
  fired(alerts, 'Fargate log or history cleared');
});

test('stdio redirected to a network socket', async () => {
  const server = createServer((s) => s.resume());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const { alerts } = await run([PY, '-c', `import socket, os; s = socket.create_connection(("127.0.0.1", ${port})); os.dup2(s.fileno(), 0)`]);
    const a = fired(alerts, 'Fargate stdio redirected to a network socket');
    assert.is(a.priority, 'Critical');
  } finally {
    server.close();
  }
});

test('netcat remote execution', async () => {
  const nc = named('nc', '/bin/true');
  const { alerts } = await run([nc, '-e', '/bin/sh', '127.0.0.1', '9']);
  fired(alerts, 'Fargate netcat remote execution');
});

test('cgroup release_agent write', async () => {
  const { alerts } = await run(['sh', '-c', `echo x > ${dir}/release_agent`]);
  fired(alerts, 'Fargate cgroup release_agent write');
});

test('kernel module load attempt', async () => {
  const { alerts } = await run([PY, '-c', 'import ctypes; ctypes.CDLL(None).syscall(313, -1, b"", 0)']);
  fired(alerts, 'Fargate kernel module load');
});

test('write below a binary directory', async () => {
  const f = `/usr/local/bin/agent-default-test-${process.pid}`;
  try {
    const { alerts } = await run(['sh', '-c', `echo x > ${f}`]);
    fired(alerts, 'Fargate write below binary directory');
  } finally {
    rmSync(f, { force: true });
  }
});

test('ordinary programs raise nothing', async () => {
  const work = join(dir, 'ordinary');
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'hello.c'), 'int main(void){return 0;}\n');
  for (const argv of [
    ['ls', '-la', '/'],
    [PY, '-c', 'import json, os; print(json.dumps(os.listdir("/")))'],
    ['sh', '-c', 'ls /usr/bin | grep -c a | sort | head -1'],
    ['tar', '-C', work, '-czf', join(dir, 'o.tgz'), '.'],
    [process.execPath, '-e', 'require("fs").readdirSync("/tmp")'],
    ['gcc', '-o', join(work, 'hello'), join(work, 'hello.c')],
  ]) {
    const { r, alerts } = await run(argv);
    assert.is(r.exitCode, 0, argv.join(' '));
    assert.equal(alerts.map((a) => a.rule), [], `${argv.join(' ')}: no alert`);
  }
});

test('debug view: one trace line per event with the fields the rules saw', async () => {
  const { r } = await run(['cat', '/etc/hostname'], { SYSDIG_LOGGING: 'trace' });
  const events = r.stderr
    .split('\n')
    .filter((l) => l.includes('"msg":"event"'))
    .map((l) => JSON.parse(l) as { type: string; fields: Record<string, unknown>; matched: string[] });
  const open = events.find((e) => e.type === 'openat' && e.fields['fd.name'] === '/etc/hostname');
  assert.ok(open, 'the open of /etc/hostname is in the trace');
  assert.is(open!.fields['proc.name'], 'cat');
  assert.is(open!.fields['evt.type'], 'openat');
  assert.is(open!.fields['evt.is_open_read'], true);
  assert.equal(open!.matched, []);
  assert.is(r.stdout, readFileSync('/etc/hostname', 'utf8').trimEnd(), 'the workload output is untouched');
});

test.run();
