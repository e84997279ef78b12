// Shared by the dist tests: assemble the tree with the real `npm run dist`
// script, build a minimal root filesystem (busybox-static and nothing else),
// and run a command in it with the tree bind-mounted read-only at
// /opt/draios (unshare --mount + chroot; root only).
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tmp } from '../helpers.js';

export { ROOT };

/** Runs `node scripts/dist.mjs --prefix DIR` (what `npm run dist -- --prefix DIR` runs). */
export function buildTree(prefix: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [join(ROOT, 'scripts', 'dist.mjs'), '--prefix', prefix], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
}

function which(cmd: string): string | undefined {
  for (const dir of [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (!dir) continue;
    const p = join(dir, cmd);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Why the chroot tests cannot run here, or undefined when they can. */
export function chrootUnavailable(extra: string[] = []): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  for (const cmd of ['unshare', 'chroot', 'mount', 'busybox', ...extra]) if (!which(cmd)) return `${cmd} not installed`;
  const r = spawnSync('unshare', ['--mount', 'true']);
  if (r.status !== 0) return `unshare --mount fails here: ${r.stderr}`;
  return undefined;
}

export const SHADOW_LINE = 'root:$6$dist-test$:19000:0:99999:7:::';

/**
 * A root filesystem with busybox-static only: /bin/busybox and its applet
 * links, /etc/passwd, /etc/shadow, empty /proc, /dev, /tmp and /opt/draios.
 */
export function makeRootfs(dir: string): string {
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'proc', 'dev', 'tmp', 'opt/draios']) mkdirSync(join(rootfs, d), { recursive: true });
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  copyFileSync(which('busybox')!, join(rootfs, 'bin', 'busybox'));
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  for (const applet of ['sh', 'cat', 'ls', 'sleep', 'kill', 'env', 'true', 'echo', 'id']) symlinkSync('busybox', join(rootfs, 'bin', applet));
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(rootfs, 'etc', 'shadow'), `${SHADOW_LINE}\n`, { mode: 0o640 });
  return rootfs;
}

/** unshare + mount + chroot: the argv that runs `cmd` inside `rootfs` with `tree` read-only at /opt/draios. */
function inRootfsArgv(rootfs: string, tree: string, cmd: string[], env: Record<string, string>, user?: string): string[] {
  // Host tools by absolute path: PATH is the workload's, passed on untouched.
  const mount = which('mount')!;
  const chroot = which('chroot')!;
  const setup = [
    'set -e',
    'R=$1; T=$2; shift 2',
    `${mount} --make-rprivate /`,
    `${mount} --bind "$T" "$R/opt/draios"`,
    `${mount} -o remount,ro,bind "$R/opt/draios"`,
    `${mount} -t proc proc "$R/proc"`,
    `${mount} --rbind /dev "$R/dev"`,
    `exec ${chroot} ${user ? `--userspec=${user} ` : ''}"$R" "$@"`,
  ].join('\n');
  // unshare without --fork execs in place: the pid we get is the agent's.
  // The environment is set inside the rootfs by busybox `env -i` (static, it
  // execs in place too), so that the host tools never see e.g. LD_PRELOAD.
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return [which('unshare')!, '--mount', '/bin/sh', '-c', setup, 'sh', rootfs, tree, '/bin/env', '-i', ...vars, ...cmd];
}

const HOST_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `cmd` in the rootfs as `user` ("uid:gid", default root); env is its whole environment. */
export function spawnInRootfs(rootfs: string, tree: string, cmd: string[], env: Record<string, string>, user?: string): ChildProcess {
  const [bin, ...args] = inRootfsArgv(rootfs, tree, cmd, env, user);
  return spawn(bin!, args, { env: HOST_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `cmd` (a path inside the rootfs) there; env is its whole environment, exactly. */
export function runInRootfs(rootfs: string, tree: string, cmd: string[], env: Record<string, string>, input = ''): RunResult {
  const [bin, ...args] = inRootfsArgv(rootfs, tree, cmd, env);
  const r = spawnSync(bin!, args, { env: HOST_ENV, input, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/**
 * Like runInRootfs, and sends `signal` to the agent (the pid spawned: unshare,
 * sh and chroot exec in place) `delayMs` after `marker` appears on its stdout.
 */
export function runInRootfsAndSignal(
  rootfs: string,
  tree: string,
  cmd: string[],
  env: Record<string, string>,
  signal: NodeJS.Signals,
  marker: string,
  delayMs: number,
): Promise<RunResult & { signalled: boolean }> {
  const [bin, ...args] = inRootfsArgv(rootfs, tree, cmd, env);
  return new Promise((resolve) => {
    const child = spawn(bin!, args, { env: HOST_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    let signalled = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!timer && stdout.includes(marker)) {
        timer = setTimeout(() => {
          signalled = true;
          child.kill(signal);
        }, delayMs);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      clearTimeout(guard);
      resolve({ code, signal: sig, stdout, stderr, signalled });
    });
  });
}

export function tempDir(prefix: string): string {
  return tmp(prefix);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
