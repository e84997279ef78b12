#!/usr/bin/env node
// Runs every compiled uvu test file (out/test/**/*.test.js) in its own node
// process, so one crashing file cannot take the others down, and ends with the
// line CI reads: `N passed, N failed`.
// Usage: node scripts/run-tests.mjs [substring filter...]
// Environment: TEST_JOBS (files at once, default 2), TEST_FILE_TIMEOUT_MS,
// KEEP_TEST_TMP=1 (keep the tests' temp directories, removed by default).
import { spawn } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cpus } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const testDir = join(root, 'out', 'test');
if (!existsSync(testDir)) {
  console.error('run-tests: out/test does not exist; run `npm run build` first');
  process.exit(2);
}
const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && (filters.length === 0 || filters.some((f) => p.includes(f)))) files.push(p);
  }
})(testDir);

const FILE_TIMEOUT_MS = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 600_000);
const jobs = Math.max(1, Number(process.env.TEST_JOBS ?? Math.min(2, cpus().length)));
let passed = 0;
let failed = 0;
const failures = [];

function runOne(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n[run-tests] timed out after ${FILE_TIMEOUT_MS} ms\n`;
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? NaN);
      const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? NaN);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const rel = relative(root, file);
      let p = 0;
      let f = 0;
      if (Number.isNaN(total) || Number.isNaN(ok)) {
        f = 1; // crashed before uvu printed its summary
      } else {
        p = ok;
        f = Math.max(0, total - ok); // uvu counts skipped tests outside Total
        if (f === 0 && code !== 0) f = 1; // exited non-zero after a clean summary
      }
      passed += p;
      failed += f;
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`${f ? 'FAIL' : 'ok  '} ${rel}  (${p} passed, ${f} failed, ${secs}s${signal ? ', ' + signal : ''})`);
      if (f) failures.push({ rel, out });
      resolve();
    });
  });
}

const queue = [...files];
await Promise.all(
  Array.from({ length: jobs }, async () => {
    while (queue.length) await runOne(queue.shift());
  }),
);
for (const { rel, out } of failures) {
  console.log(`\n===== ${rel} =====\n${out.trimEnd()}`);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed || files.length === 0 ? 1 : 0);
