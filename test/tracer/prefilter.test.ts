// The native open pre-filter (native/prefilter.h) under the real tracer: an
// open whose clean absolute path no pattern can match is resumed without its
// exit stop and leaves no record; anything else (a match, a relative or
// unclean path, a directory open) is recorded as before. Also the kernel's
// answers that make skipped fds harmless: a dirfd's path (TAG_DIR0 + i) and
// the cwd after fchdir (TAG_CWD).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp, traceRun, type Rec } from '../helpers.js';

const dir = tmp('prefilter-');
mkdirSync(join(dir, 'x'));
for (const f of ['exact', 'sfx.log', 'has-needle-in', 'plain', 'w-read']) writeFileSync(join(dir, f), '');

const SCRIPT = `
import os, sys
d = sys.argv[1]
def op(p, flags=os.O_RDONLY, **kw):
    try:
        os.close(os.open(p, flags, **kw))
    except OSError:
        pass
op('/etc/hostname')
op(d + '/plain')
op(d + '/new', os.O_CREAT | os.O_WRONLY)
op(d + '//plain')
op(d + '/./plain')
op(d + '/x/../plain')
op(d + '/x/')
op(d, os.O_RDONLY | os.O_DIRECTORY)
op(d + '/sfx.log')
op(d + '/exact')
op(d + '/has-needle-in')
op(d + '/w-read')
op(d + '/w-written', os.O_WRONLY | os.O_CREAT)
op(d + '/w-both', os.O_RDWR | os.O_CREAT)
os.chdir(d)
op('plain')
dfd = os.open(d + '/x', os.O_RDONLY)
op('rel2', os.O_CREAT | os.O_WRONLY, dir_fd=dfd)
os.fchdir(dfd)
os.close(dfd)
`;

const FILTER = JSON.stringify([
  { kind: 1, value: '/etc/' },
  { kind: 2, value: '.log' },
  { kind: 0, value: join(dir, 'exact') },
  { kind: 3, value: 'needle' },
  { kind: 1, value: join(dir, 'w'), write: true },
]);

const opens = (records: Rec[]) => records.filter((r) => r.kind === 1 && (r.name === 'openat' || r.name === 'open'));
const opened = (records: Rec[], path: string) => opens(records).some((r) => r.items['1'] === path || r.items['0'] === path);

test('opens no pattern can match are skipped; matches, unclean, relative and directory opens are recorded', async () => {
  const { records, exit, stats } = await traceRun(['python3', '-c', SCRIPT, dir], { env: { TRACE_PATH_FILTER: FILTER } });
  assert.is(exit, 0);
  for (const p of ['/etc/hostname', `${dir}/sfx.log`, `${dir}/exact`, `${dir}/has-needle-in`]) assert.ok(opened(records, p), `match recorded: ${p}`);
  for (const p of [`${dir}//plain`, `${dir}/./plain`, `${dir}/x/../plain`, `${dir}/x/`, 'plain', 'rel2']) assert.ok(opened(records, p), `not clean/absolute, recorded: ${p}`);
  assert.ok(opened(records, dir), 'O_DIRECTORY open recorded (it may become a dirfd)');
  for (const p of [`${dir}/plain`, `${dir}/new`, `${dir}/x`]) assert.not.ok(opened(records, p), `skipped: ${p}`);
  // a write-only pattern: reads of the path are skipped, writes recorded
  assert.not.ok(opened(records, `${dir}/w-read`), 'read of a write-only pattern skipped');
  assert.ok(opened(records, `${dir}/w-written`) && opened(records, `${dir}/w-both`), 'O_WRONLY and O_RDWR opens recorded');
  assert.ok(stats.opensSkipped! >= 3, `opensSkipped ${stats.opensSkipped}`);
  // a recorded match still has its exit (the fd)
  const m = opens(records).find((r) => r.items['1'] === `${dir}/exact`)!;
  assert.ok(m.flags & 1 && m.ret >= 0, 'exit record with the fd');
});

test('a dirfd the state never saw comes with its path; fchdir with the new cwd', async () => {
  const { records } = await traceRun(['python3', '-c', SCRIPT, dir], { env: { TRACE_PATH_FILTER: FILTER } });
  const rel = opens(records).find((r) => r.items['1'] === 'rel2');
  assert.ok(rel, 'openat(dirfd, "rel2") recorded');
  assert.is(rel!.items['40'], join(dir, 'x'), 'TAG_DIR0 + 0: the dirfd path from /proc');
  const fchdir = records.find((r) => r.kind === 1 && r.name === 'fchdir');
  assert.ok(fchdir, 'fchdir recorded');
  assert.is(fchdir!.items['23'], join(dir, 'x'), 'TAG_CWD at fchdir exit');
});

test('without a filter every open is recorded and none skipped', async () => {
  const { records, stats } = await traceRun(['python3', '-c', SCRIPT, dir]);
  for (const p of [`${dir}/plain`, `${dir}/new`, '/etc/hostname']) assert.ok(opened(records, p), p);
  assert.is(stats.opensSkipped, 0);
});

test('an empty filter skips every clean absolute open, and only those', async () => {
  const { records, stats } = await traceRun(['python3', '-c', SCRIPT, dir], { env: { TRACE_PATH_FILTER: '[]' } });
  assert.not.ok(opened(records, '/etc/hostname'));
  assert.ok(opened(records, 'plain'));
  assert.ok(stats.opensSkipped! > 0);
});

test.run();
