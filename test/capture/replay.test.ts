// agentctl replay on real kernel captures (Falco's regression traces, 2016-2019
// formats): rules built on the upstream macros match the same events, by
// evt.num, as sysdig 0.29.3 filtering the same file with the same condition.
// Damaged files: a clear error with the offset, everything before it still
// evaluated; event types newer than the reader: skipped and counted, numbered
// as sysdig numbers them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { load as loadYaml, dump as dumpYaml } from 'js-yaml';
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { ROOT, SHARED_RULES, tmp } from '../helpers.js';

const AGENTCTL = join(ROOT, 'bin', 'agentctl');
const TRACES = join(ROOT, 'test', 'fixtures', 'falco-traces');
const dir = tmp('replay-');

// The upstream stable file's lists and macros (open_read, spawned_process, ...),
// with the test's rules on top; each rule's condition is also given to sysdig,
// macros expanded as upstream defines them, on exit events (what the agent evaluates).
const upstream = (loadYaml(readFileSync(join(SHARED_RULES, 'falco_rules.yaml'), 'utf8')) as Record<string, unknown>[]).filter((i) => 'macro' in i || 'list' in i);
const macro = (name: string): string => String(upstream.find((i) => i.macro === name)!.condition).trim();
const RULES: { rule: string; condition: string; sysdig: string }[] = [
  { rule: 'Replay read by cat', condition: 'open_read and proc.name=cat', sysdig: `${macro('open_read')} and proc.name=cat` },
  { rule: 'Replay spawn', condition: 'spawned_process', sysdig: macro('spawned_process') },
  { rule: 'Replay connect', condition: 'evt.type=connect and fd.typechar=4', sysdig: 'evt.type=connect and fd.typechar=4' },
  { rule: 'Replay sendmsg', condition: 'evt.type=sendmsg', sysdig: 'evt.type=sendmsg' },
];
const RULES_FILE = join(dir, 'rules.yaml');
writeFileSync(
  RULES_FILE,
  dumpYaml([
    ...upstream,
    ...RULES.map((r) => ({ rule: r.rule, desc: 'replay test', condition: r.condition, output: `%evt.num %proc.name %fd.name`, priority: 'WARNING' })),
  ]),
);

async function replay(file: string) {
  const r = await execa(AGENTCTL, ['replay', '--rules-file', RULES_FILE, '--json', file], { reject: false, timeout: 240_000 });
  const alerts = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { rule: string; output_fields: Record<string, unknown> });
  const nums = (rule: string) => alerts.filter((a) => a.rule === rule).map((a) => Number(a.output_fields['evt.num']));
  return { r, alerts, nums };
}

/** evt.num of the exit events matching cond, with state parsed first (-d), as Falco evaluates. */
async function sysdigNums(file: string, cond: string): Promise<number[]> {
  const { stdout } = await execa('sysdig', ['-d', '-r', file, '-p', '%evt.num', `(${cond}) and evt.dir=<`], { timeout: 240_000 });
  return stdout.split('\n').filter(Boolean).map(Number);
}

for (const [trace, expectRules] of [
  ['cat_write.scap', ['Replay read by cat', 'Replay spawn']],
  ['connect_localhost.scap', ['Replay connect']],
  ['ping_sendto.scap', ['Replay sendmsg']],
] as const) {
  test(`${trace}: the rules match the events sysdig matches`, async () => {
    const file = join(TRACES, trace);
    const { r, nums } = await replay(file);
    assert.is(r.exitCode, 0, r.stderr);
    for (const rule of RULES) {
      const mine = nums(rule.rule);
      assert.equal(mine, await sysdigNums(file, rule.sysdig), `${trace}: ${rule.rule}`);
      if ((expectRules as readonly string[]).includes(rule.rule)) assert.ok(mine.length > 0, `${trace}: ${rule.rule} matches something`);
    }
  });
}

test('cat_write.scap: state from the file: the process tree, the fd names, the user', async () => {
  const { alerts } = await replay(join(TRACES, 'cat_write.scap'));
  const reads = alerts.filter((a) => a.rule === 'Replay read by cat');
  assert.equal(
    reads.map((a) => a.output_fields['fd.name']),
    ['/etc/ld.so.cache', '/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/locale/locale-archive', '/dev/null'],
  );
  const { stdout } = await execa(AGENTCTL, ['replay', '--rules-file', RULES_FILE, join(TRACES, 'cat_write.scap')], { timeout: 240_000 });
  // Falco's default (time_format_iso_8601: false): the time of day, UTC, with nanoseconds.
  assert.match(stdout, /^16:17:57\.881730713: Warning 131 cat /m, 'text output: Falco’s line');
});

test('a plain (not gzip) 2016 capture of state only reads to the end', async () => {
  const { r, alerts } = await replay(join(TRACES, 'empty-2016.scap'));
  assert.is(r.exitCode, 0, r.stderr);
  assert.equal(alerts, []);
  assert.match(r.stderr, /: 83 events, 0 evaluated, 0 alerts/);
});

/** Offsets of the event blocks of an uncompressed capture (walking the framing only). */
function eventBlocks(data: Buffer): { offset: number; length: number }[] {
  const out: { offset: number; length: number }[] = [];
  for (let off = 0; off + 8 <= data.length; ) {
    const type = data.readUInt32LE(off);
    const length = data.readUInt32LE(off + 4);
    if (type === 0x204 || type === 0x216) out.push({ offset: off, length });
    off += length;
  }
  return out;
}

test('a truncated capture: an error with the offset; the events before it are evaluated', async () => {
  const full = await replay(join(TRACES, 'cat_write.scap'));
  const data = gunzipSync(readFileSync(join(TRACES, 'cat_write.scap')));
  const blocks = eventBlocks(data);
  const cut = blocks[190]!; // after the reads of ld.so.cache and libc (evt.num 141, 151), mid-block
  const file = join(dir, 'truncated.scap');
  writeFileSync(file, data.subarray(0, cut.offset + 20));
  const { r, alerts } = await replay(file);
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, new RegExp(`offset ${cut.offset}: truncated: block type 0x204 of ${cut.length} bytes, 20 left in the file`));
  assert.equal(alerts, full.alerts.filter((a) => Number(a.output_fields['evt.num']) <= 190));
  assert.ok(alerts.length >= 3, 'alerts before the cut');

  // the same, cut inside the gzip stream
  const gz = gzipSync(data.subarray(0, cut.offset + 20));
  const gzFile = join(dir, 'truncated.scap.gz');
  writeFileSync(gzFile, gz.subarray(0, gz.length - 8)); // the gzip trailer is gone
  const g = await replay(gzFile);
  assert.is(g.r.exitCode, 1);
  assert.match(g.r.stderr, /gzip stream: .* after \d+ uncompressed bytes/);
  assert.equal(g.alerts, alerts);
});

test('a corrupt block length: an error naming the offset and the block', async () => {
  const data = Buffer.from(gunzipSync(readFileSync(join(TRACES, 'cat_write.scap'))));
  const b = eventBlocks(data)[200]!;
  data.writeUInt32LE(7, b.offset + 4);
  const file = join(dir, 'corrupt.scap');
  writeFileSync(file, data);
  const { r, alerts } = await replay(file);
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, new RegExp(`offset ${b.offset}: corrupt block: type 0x204 with length 7`));
  assert.ok(alerts.length > 0);

  const notScap = join(dir, 'not.scap');
  writeFileSync(notScap, 'hello, world\n');
  const n = await replay(notScap);
  assert.is(n.r.exitCode, 1);
  assert.match(n.r.stderr, /offset 0: (truncated|corrupt block|not a scap capture)/);
});

test('event types newer than libs e5c53d64 are skipped and counted, numbered as sysdig numbers them', async () => {
  const data = Buffer.from(gunzipSync(readFileSync(join(TRACES, 'cat_write.scap'))));
  const blocks = eventBlocks(data);
  // three events of cat before its first read (#136-138) become type 400, unknown to a 2022 reader
  for (const i of [135, 136, 137]) data.writeUInt16LE(400, blocks[i]!.offset + 8 + 2 + 20);
  const file = join(dir, 'newer.scap');
  writeFileSync(file, data);
  const { r, nums } = await replay(file);
  assert.is(r.exitCode, 0, r.stderr);
  assert.match(r.stderr, /3 events of unknown types skipped/);
  const rule = RULES[0]!;
  const mine = nums(rule.rule);
  assert.equal(mine, await sysdigNums(file, rule.sysdig));
  assert.equal(mine, [138, 148, 184, 194], 'three fewer than in the original file');
});

test.run();
