// Facts the native side and TypeScript both need, defined in each language
// once: they must agree.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadAddon, PatternKind } from '../../src/tracer/native.js';
import { SECRET_ENV_VARS } from '../../src/config/index.js';
import { EXE_STAT_LAYOUT, FD_FACTS_LAYOUT, ItemTag, LAYOUT, NoticeCode, RecordFlag } from '../../src/tracer/records.js';
import { RecordKind } from '../../src/tracer/index.js';

test('the secret variables the supervisor keeps from the workload are those the configuration treats as secret', () => {
  assert.equal([...loadAddon().secretEnvVars()].sort(), [...SECRET_ENV_VARS].sort());
});

test('the record layout the decoder reads is native/record.h\'s: offsets, sizes, kinds, flags, tags, notice codes', () => {
  const n = loadAddon().layout();
  assert.equal({ ...LAYOUT.hdr }, n.hdr);
  assert.equal({ ...LAYOUT.creds }, n.creds);
  assert.equal({ ...FD_FACTS_LAYOUT }, n.fdFacts);
  assert.equal({ ...EXE_STAT_LAYOUT, flagBits: { ...EXE_STAT_LAYOUT.flagBits } }, n.exeStat);
  assert.equal({ ...RecordFlag }, n.flags);
  assert.equal({ ...ItemTag }, n.tags);
  assert.equal({ ...NoticeCode }, n.notices);
  assert.equal({ ...PatternKind }, n.patternKinds);
  const kinds = { Syscall: RecordKind.Syscall, Clone: RecordKind.Clone, Exec: RecordKind.Exec, Exit: RecordKind.Exit, Lost: RecordKind.Lost, Notice: RecordKind.Notice, Signal: RecordKind.Signal };
  assert.equal(kinds, n.kinds);
});

test.run();
