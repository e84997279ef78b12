#!/usr/bin/env node
// esbuild bundles of the agent's programs, one file each: an entrypoint
// wrapper pays for every module it loads at every container start (~200
// ES modules from out/ cost ~100 ms; one bundle a fraction of it).
//
//   node scripts/bundle.mjs          the repository's instrument bundle,
//                                    out/src/wrapper/main.bundle.mjs (run by
//                                    `npm run build` and `npm install`; bin/instrument
//                                    uses it while it is newer than out/)
//   bundle(name, outfile, banner)    used by scripts/dist.mjs for lib/NAME.mjs
//
// The repository's bundle sits at the same depth under out/ as the modules
// it replaces, so the paths they resolve from import.meta.url (the addon in
// build/Release, rules/default.yaml, package.json) resolve the same.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The bundle entry of a program: the text of its launcher bin/NAME (which
 * imports the compiled module from out/), so bin/NAME stays the one source of
 * truth; for MODULE_ENTRIES the entry is the module itself.
 */
// Programs whose entry is a module rather than a bin/ launcher: bin/instrument
// picks its bundle or its modules at run time; the CloudFormation macro is a
// Lambda handler (an exported `handler`), not a program.
const MODULE_ENTRIES = { instrument: 'src/wrapper/main.js', 'cfn-macro': 'src/deploy/macro.js' };

function entryOf(name) {
  if (Object.hasOwn(MODULE_ENTRIES, name)) {
    const main = join(ROOT, 'out', MODULE_ENTRIES[name]);
    if (!existsSync(main)) throw new Error(`out/${MODULE_ENTRIES[name]} does not exist: run \`npm run build\` first`);
    return { entryPoints: [main] };
  }
  const bin = join(ROOT, 'bin', name);
  if (!existsSync(bin)) throw new Error(`no bin/${name}: cannot bundle ${name}`);
  const text = readFileSync(bin, 'utf8');
  for (const m of text.matchAll(/from\s+['"](\.\.\/out\/[^'"]+)['"]|import\s*\(?\s*['"](\.\.\/out\/[^'"]+)['"]/g)) {
    const spec = m[1] ?? m[2];
    if (!existsSync(join(ROOT, 'bin', spec))) throw new Error(`bin/${name} imports ${spec}, which does not exist: run \`npm run build\` first`);
  }
  return { stdin: { contents: text.replace(/^#!.*\n/, ''), resolveDir: join(ROOT, 'bin'), sourcefile: `bin/${name}`, loader: 'js' } };
}

export const REPO_BUNDLE = join(ROOT, 'out', 'src', 'wrapper', 'main.bundle.mjs');

// `require` for the CommonJS packages bundled into ESM (ws, pino).
const REQUIRE_SHIM = `import { createRequire as __draiosCreateRequire } from 'node:module';
globalThis.require ??= __draiosCreateRequire(import.meta.url);`;

export async function bundle(name, outfile, banner = '') {
  const entry = entryOf(name);
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error('esbuild is not installed: run `npm install` first');
  }
  const addonExternal = {
    name: 'native-addons-external',
    setup(b) {
      // The addon is loaded at run time (lib/tracer.node or build/Release).
      b.onResolve({ filter: /\.node$/ }, (args) => ({ path: args.path, external: true }));
    },
  };
  await esbuild.build({
    ...entry,
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // ws's optional native helpers: ws falls back to JavaScript without them.
    external: ['bufferutil', 'utf-8-validate'],
    plugins: [addonExternal],
    banner: { js: `${REQUIRE_SHIM}\n${banner}` },
    legalComments: 'none',
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    await bundle('instrument', REPO_BUNDLE, '// bin/instrument bundle (scripts/bundle.mjs)');
  } catch (err) {
    process.stderr.write(`bundle: ${err.message}\n`);
    process.exit(1);
  }
}
