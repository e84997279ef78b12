// Data flows one way: a stage imports only the stages below it.
//   model <- tracer <- events <- state <- rules <- alerts <- capture, deploy <- wrapper, orchestrator, cli
// config (the one reader of the environment), logging and util are services
// any stage may use; they themselves import only the ground floor. The test reads
// every import of src/ (static and dynamic) and fails on one that runs
// against the flow.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from './helpers.js';

const ORDER = [['model'], ['tracer'], ['events'], ['state'], ['rules'], ['alerts'], ['capture', 'deploy'], ['wrapper', 'orchestrator', 'cli']];
const SERVICES = new Set(['config', 'logging', 'util']);
const level = new Map<string, number>();
ORDER.forEach((names, i) => names.forEach((n) => level.set(n, i)));

/** Known imports against the flow, each to be removed (not added to). None today. */
const KNOWN: ReadonlySet<string> = new Set([]);

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('no import runs against the flow', () => {
  const src = join(ROOT, 'src');
  const wrong: string[] = [];
  const known = new Set<string>();
  let checked = 0;
  for (const file of files(src)) {
    const from = relative(src, file).split('/')[0]!;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)['"](\.[^'"]+)['"]/g)) {
      const target = relative(src, resolve(dirname(file), m[1]!)).split('/')[0]!;
      if (target === from || target.startsWith('..')) continue;
      checked++;
      const key = `${relative(src, file)} -> ${target}`;
      let ok: boolean;
      if (SERVICES.has(target)) ok = true;
      else if (SERVICES.has(from)) ok = target === 'model' || target === 'tracer' || SERVICES.has(target);
      else ok = level.has(from) && level.has(target) && level.get(target)! < level.get(from)!;
      if (ok) continue;
      if (KNOWN.has(key)) known.add(key);
      else wrong.push(key);
    }
  }
  assert.ok(checked > 50, `imports were read (${checked})`);
  assert.equal(wrong, [], 'imports against the flow');
  assert.equal([...KNOWN].filter((k) => !known.has(k)), [], 'a known exception that is gone: remove it from KNOWN');
});

test('every folder of src/ has its place in the flow', () => {
  const src = join(ROOT, 'src');
  const folders = readdirSync(src).filter((n) => statSync(join(src, n)).isDirectory());
  assert.equal(folders.filter((f) => !level.has(f) && !SERVICES.has(f)), []);
});

test.run();
