// The format pieces both sides share: flag translations between Linux and the
// driver's PPM_* values (every bit the agent renders), the event table as
// generated from the libs TSV, and the block framing of what the writer emits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import { CLONE_FLAGS, OPEN_FLAGS } from '../../src/model/flags.js';
import {
  EVENTS,
  PPM_EVENT_MAX,
  cloneFlagsFromPpm,
  cloneFlagsToPpm,
  eventsForSyscall,
  fcntlCmdFromPpm,
  fcntlCmdToPpm,
  openFlagsFromPpm,
  openFlagsToPpm,
  resolveFromPpm,
  resolveToPpm,
} from '../../src/capture/scap.js';
import { eventBlock } from '../../src/capture/blocks.js';
import { readBlocks } from '../../src/capture/reader.js';

test('open flags: Linux -> PPM -> Linux keeps every flag the agent names, and the access mode', () => {
  for (const [name, bit] of OPEN_FLAGS.entries) {
    if (['O_NOFOLLOW', 'O_NOATIME', 'O_NOCTTY', 'O_PATH', 'O_ASYNC'].includes(name)) continue; // no PPM_O_* bit in 2022
    for (const acc of [0, 1, 2]) assert.is(openFlagsFromPpm(openFlagsToPpm(bit | acc)), (bit | acc) >>> 0, `${name}|${acc}`);
  }
  assert.is(openFlagsToPpm(0), 1, 'O_RDONLY is PPM_O_RDONLY (1 << 0)');
  assert.is(openFlagsToPpm(0o2 | 0o100 | 0o1000), 3 | 4 | 256, 'O_RDWR|O_CREAT|O_TRUNC');
  assert.is(openFlagsToPpm(0o20200000), 1 | (1 << 13), 'O_TMPFILE (read-only) is not O_DIRECTORY');
});

test('clone flags and fcntl commands round-trip', () => {
  for (const [name, bit] of CLONE_FLAGS.entries) assert.is(cloneFlagsFromPpm(cloneFlagsToPpm(bit)), bit >>> 0, name);
  assert.is(cloneFlagsToPpm(0x10000), 1 << 13, 'CLONE_THREAD is PPM_CL_CLONE_THREAD');
  for (const cmd of [0, 1, 2, 3, 4, 1030]) assert.is(fcntlCmdFromPpm(fcntlCmdToPpm(cmd)), cmd);
  assert.is(fcntlCmdToPpm(1030), 26, 'F_DUPFD_CLOEXEC');
  for (const bit of [1, 2, 4, 8, 0x10, 0x20]) assert.is(resolveFromPpm(resolveToPpm(bit)), bit);
  assert.is(resolveToPpm(0x08), 1, 'RESOLVE_BENEATH is PPM_RESOLVE_BENEATH');
});

test('the event table: 336 entries indexed by number, the numbers docs/capture.md relies on', () => {
  assert.is(PPM_EVENT_MAX, 336);
  const tsv = readFileSync(join(ROOT, 'src', 'events', 'event-table-libs-e5c53d64.tsv'), 'utf8').trim().split('\n').slice(1);
  assert.is(tsv.length, EVENTS.length, 'generated from the whole TSV (scripts/gen-event-table.mjs)');
  tsv.forEach((line, i) => assert.is(EVENTS[i]!.name, line.split('\t')[2], `event ${i}`));
  assert.equal(eventsForSyscall('openat'), [306, 307]);
  assert.equal(eventsForSyscall('execve'), [292, 293]);
  assert.equal(eventsForSyscall('accept4'), [248, 249]);
  assert.equal(eventsForSyscall('dup3'), [124, 125]);
  assert.is(EVENTS[293]!.params.length, 20);
  assert.ok(EVENTS[324]!.large, 'container JSON v2 has 32-bit lengths');
});

test('event blocks: framing, padding and parameters read back', () => {
  const shb = Buffer.from('0a0d0d0a1c0000004d3c2b1a01000200ffffffffffffffff1c000000', 'hex');
  const ev = eventBlock(307, 5n, 42, [3, -100, 'rel/path', 1, 0, 0]);
  assert.is(ev.length % 4, 0);
  assert.is(ev.readUInt32LE(ev.length - 4), ev.length, 'trailer = total length');
  const blocks = [...readBlocks(Buffer.concat([shb, ev]))];
  const e = blocks[1]!;
  assert.is(e.kind, 'event');
  if (e.kind !== 'event') return;
  assert.is(e.event.num, 1);
  assert.is(e.event.tid, 42);
  assert.is(e.event.type, 307);
  assert.equal(e.event.params.map((p) => p.length), [8, 8, 9, 4, 4, 4]);
  assert.is(e.event.params[2]!.toString(), 'rel/path\0');
  assert.is(e.event.params[1]!.readBigInt64LE(0), -100n);
});

test.run();
