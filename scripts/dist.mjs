#!/usr/bin/env node
// Assembles the agent's run-time tree, what goes into /opt/draios:
//
//   DIR/bin/instrument               the native supervisor (native/supervisor.cc), linked statically
//   DIR/bin/{logwriter,orchestrator,agentctl}  static launchers (scripts/dist-launcher.c)
//   DIR/lib/node                     this Node.js runtime (process.execPath, or --node)
//   DIR/lib/ld-linux-x86-64.so.2     its loader, and every shared library node and
//   DIR/lib/lib*.so*                 the addon need (the ldd closure)
//   DIR/lib/tracer.node              the native addon (build/Release/tracer.node)
//   DIR/lib/{analysis,logwriter,orchestrator,agentctl}.mjs  esbuild bundles
//   DIR/lib/default-plan.txt         the tracer's plan for the default rules (the supervisor's fast path)
//   DIR/rules/default.yaml           the default rules
//
// Nothing in the tree relies on the target image (no /bin/sh, no libc, no
// node of the image) and nothing writes into it at run time: it works mounted
// read-only, at any path.
//
// and, for the CloudFormation macro (deploy/cfn-macro.yaml):
//
//   MACRO/index.mjs                  the Lambda handler bundle (src/deploy/macro.ts),
//                                    MACRO = --macro-dir, default dist/cfn-macro
//
// Usage: npm run dist -- --prefix DIR [--node PATH] [--cc CC] [--macro-dir MACRO]
//        npm run dist -- --macro-only [--macro-dir MACRO]
// Needs: a built checkout (`npm install` or `npm run build`: out/ and
// build/Release/tracer.node), a C compiler able to link statically (gcc and
// libc6-dev), ldd. The Dockerfile runs this same script.
//
// The bundles are made by scripts/bundle.mjs (the same as the repository's).

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundle } from './bundle.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Programs run by the launcher; bin/instrument is the supervisor itself,
// which runs lib/analysis.mjs (the bundle of `instrument`'s analysis).
const PROGRAMS = ['logwriter', 'orchestrator', 'agentctl'];
// The supervisor's sources: binding.gyp's `instrument` target, the one list
// both builds compile (binding.gyp is plain JSON).
const SUPERVISOR_SOURCES = JSON.parse(readFileSync(join(ROOT, 'binding.gyp'), 'utf8'))
  .targets.find((t) => t.target_name === 'instrument').sources;
const LOADER = 'ld-linux-x86-64.so.2';

// The first lines of every bundle, after scripts/bundle.mjs's own: the
// DRAIOS_SAVED_* variables put back under their own names (see
// dist-launcher.c), so the workload sees its own environment;
// process.execPath/argv[0] show the tree's node, not the loader that runs it.
const BANNER = `// draios agent bundle (scripts/dist.mjs)
{
  const saved = 'DRAIOS_SAVED_';
  for (const k of Object.keys(process.env)) {
    if (k.startsWith(saved)) {
      process.env[k.slice(saved.length)] = process.env[k];
      delete process.env[k];
    }
  }
  if (/\\/ld-linux[^/]*$/.test(process.execPath)) {
    process.execPath = decodeURIComponent(new URL('./node', import.meta.url).pathname);
    process.argv[0] = process.execPath;
  }
}`;

function fail(msg) {
  process.stderr.write(`dist: ${msg}\n`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

const USAGE = `usage: npm run dist -- --prefix DIR [--node PATH] [--cc CC] [--cxx CXX] [--macro-dir DIR]
       npm run dist -- --macro-only [--macro-dir DIR]`;

function parse() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        prefix: { type: 'string' },
        node: { type: 'string' },
        cc: { type: 'string' },
        cxx: { type: 'string' },
        'macro-dir': { type: 'string' },
        'macro-only': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    fail(`${err.message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (!values.prefix && !values['macro-only']) fail('--prefix DIR is required (DIR receives what goes into /opt/draios)');
  // `npm run` changes to the package's directory: a relative DIR is the caller's.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  return {
    prefix: values.prefix ? resolve(cwd, values.prefix) : undefined,
    node: values.node ?? process.execPath,
    cc: values.cc ?? process.env.CC ?? 'gcc',
    cxx: values.cxx ?? process.env.CXX ?? 'g++',
    macroDir: values['macro-dir'] ? resolve(cwd, values['macro-dir']) : join(ROOT, 'dist', 'cfn-macro'),
  };
}

/** The CloudFormation macro's handler bundle: MACRO/index.mjs (Lambda handler `index.handler`). */
async function bundleMacro(dir) {
  mkdirSync(dir, { recursive: true });
  // Written aside and renamed: two builds at once (parallel tests) never leave a torn file.
  const tmp = join(dir, `.index.mjs.${process.pid}`);
  try {
    await bundle('cfn-macro', tmp);
    chmodSync(tmp, 0o644);
    renameSync(tmp, join(dir, 'index.mjs'));
  } catch (err) {
    rmSync(tmp, { force: true });
    fail(`cannot bundle the CloudFormation macro (${join(dir, 'index.mjs')}):\n${err.message}`);
  }
  process.stdout.write(`dist: ${join(dir, 'index.mjs')} ready (the CloudFormation macro's handler)\n`);
}

function install(src, dest, mode) {
  copyFileSync(src, dest);
  chmodSync(dest, mode);
}

/** The loader and every shared library of `files`, from ldd: [{ name, path }]. */
function sharedLibraries(files) {
  const libs = new Map();
  for (const file of files) {
    const out = run('ldd', [file]);
    for (const line of out.split('\n')) {
      const t = line.trim();
      if (!t || t.startsWith('linux-vdso') || t.startsWith('linux-gate')) continue;
      if (t.includes('not found')) fail(`${file}: ${t}`);
      if (t === 'statically linked') continue;
      let m = /^(\S+) => (\/\S+) \(0x[0-9a-f]+\)$/.exec(t);
      if (m) {
        libs.set(basename(m[1]), m[2]);
        continue;
      }
      m = /^(\/\S+) \(0x[0-9a-f]+\)$/.exec(t);
      if (m) {
        // The program interpreter, e.g. /lib64/ld-linux-x86-64.so.2.
        if (basename(m[1]) !== LOADER) fail(`${file}: unexpected loader ${m[1]} (only x86-64 glibc is supported)`);
        libs.set(LOADER, m[1]);
        continue;
      }
      fail(`${file}: cannot read ldd output line: ${t}`);
    }
  }
  if (!libs.has(LOADER)) fail(`no ${LOADER} among the libraries of ${files.join(', ')}`);
  return [...libs].map(([name, path]) => ({ name, path: realpathSync(path) }));
}

function buildLaunchers(cc, bindir) {
  const tmp = mkdtempSync(join(tmpdir(), 'draios-launcher-'));
  try {
    const exe = join(tmp, 'launcher');
    run(cc, ['-static', '-O2', '-s', '-Wall', '-Wextra', '-Werror', '-o', exe, join(ROOT, 'scripts', 'dist-launcher.c')]);
    for (const name of PROGRAMS) install(exe, join(bindir, name), 0o755);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** bin/instrument: the supervisor, static like the launchers (it runs in any image, before anything else). */
function buildSupervisor(cxx, bindir) {
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  run(cxx, [
    '-static', '-O2', '-s', '-std=c++17', '-fno-exceptions', '-pthread', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Werror',
    `-DAGENT_VERSION="${version}"`,
    '-o', join(bindir, 'instrument'),
    ...SUPERVISOR_SOURCES.map((f) => join(ROOT, f)),
  ]);
  chmodSync(join(bindir, 'instrument'), 0o755);
}

async function bundleAll(libdir) {
  try {
    await bundle('instrument', join(libdir, 'analysis.mjs'), BANNER);
  } catch (err) {
    fail(`cannot bundle the analysis (lib/analysis.mjs):\n${err.message}`);
  }
  chmodSync(join(libdir, 'analysis.mjs'), 0o644);
  for (const name of PROGRAMS) {
    try {
      await bundle(name, join(libdir, `${name}.mjs`), BANNER);
    } catch (err) {
      fail(`cannot bundle ${name} (lib/${name}.mjs):\n${err.message}`);
    }
    chmodSync(join(libdir, `${name}.mjs`), 0o644);
  }
}

/** DIR is replaced: it must be absent, empty, or a tree this script made. */
function checkPrefix(prefix) {
  if (!existsSync(prefix)) return;
  if (!statSync(prefix).isDirectory()) fail(`${prefix} exists and is not a directory`);
  const entries = readdirSync(prefix);
  if (entries.length === 0) return;
  const ours = entries.every((e) => ['bin', 'lib', 'rules'].includes(e)) && existsSync(join(prefix, 'lib', LOADER));
  if (!ours) fail(`${prefix} is neither empty nor a tree made by this script: refusing to replace its bin/, lib/ and rules/`);
}

async function main() {
  const { prefix, node, cc, cxx, macroDir } = parse();
  if (!prefix) return bundleMacro(macroDir);
  const addon = join(ROOT, 'build', 'Release', 'tracer.node');
  const plan = join(ROOT, 'build', 'Release', 'default-plan.txt');
  if (!existsSync(plan)) fail(`${plan} missing: run \`npm install\` (or \`npm run build\`) first`);
  const rules = join(ROOT, 'rules', 'default.yaml');
  if (!existsSync(addon)) fail(`${addon} missing: run \`npm install\` (or \`npm run build\`) first`);
  if (!existsSync(rules)) fail(`${rules} missing`);
  if (!existsSync(node) || !statSync(node).isFile()) fail(`no Node.js runtime at ${node}`);

  checkPrefix(prefix);
  const bindir = join(prefix, 'bin');
  const libdir = join(prefix, 'lib');
  const rulesdir = join(prefix, 'rules');
  for (const d of [bindir, libdir, rulesdir]) rmSync(d, { recursive: true, force: true });
  for (const d of [prefix, bindir, libdir, rulesdir]) {
    mkdirSync(d, { recursive: true });
    chmodSync(d, 0o755);
  }

  buildLaunchers(cc, bindir);
  buildSupervisor(cxx, bindir);
  install(realpathSync(node), join(libdir, 'node'), 0o755);
  install(addon, join(libdir, 'tracer.node'), 0o755);
  for (const { name, path } of sharedLibraries([realpathSync(node), addon])) install(path, join(libdir, name), 0o755);
  await bundleAll(libdir);
  install(rules, join(rulesdir, 'default.yaml'), 0o644);
  install(plan, join(libdir, 'default-plan.txt'), 0o644);

  // The tree must run as it is: its own loader, libraries and node.
  const check = spawnSync(join(bindir, 'agentctl'), ['--help'], { encoding: 'utf8', env: { PATH: '/nonexistent' } });
  if (check.status !== 0) fail(`self-check \`${join(bindir, 'agentctl')} --help\` failed (${check.status ?? check.signal}):\n${check.stderr}`);
  process.stdout.write(`dist: ${prefix} ready (bin/: ${PROGRAMS.join(', ')})\n`);
  await bundleMacro(macroDir);
}

await main();
