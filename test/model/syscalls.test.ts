// The syscall table (src/model/syscalls.ts) against the tracer's own
// (native/syscalls.cc, through the addon's syscalls()) and against the
// decoder and builder that work by it: the same syscalls, each register captured as
// the row says, the roles that native flags mirror, and the fd table read by
// exactly the rows whose event's fd is a register.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SYSCALLS, readsFdTable, type SyscallRow } from '../../src/model/syscalls.js';
import { FALCO_SYSCALL_NAMES } from '../../src/events/schema.js';
import { loadAddon } from '../../src/tracer/native.js';
import { EventBuilder } from '../../src/state/builder.js';
import type { FdEntry } from '../../src/state/fds.js';
import { ProcessTable } from '../../src/state/processes.js';
import { UserDb } from '../../src/state/users.js';
import { initialContainer } from '../../src/state/container.js';
import { ItemTag, RecordFlag, RecordKind } from '../../src/tracer/index.js';

const native = loadAddon().syscalls();

test('the same syscalls as the tracer decodes', () => {
  assert.equal(SYSCALLS.map((r) => r.name).sort(), Object.keys(native).sort());
});

test('each register is captured as the row says (path strings, dirfds, fds, sockaddrs, structs)', () => {
  for (const row of SYSCALLS) {
    const want = Array.from({ length: 6 }, (_, i) => row.regs[i]?.capture ?? 'none');
    assert.equal(want, native[row.name]!.args, row.name);
  }
});

test('the roles native flags mirror: creds, open, cwd; no flag without a name', () => {
  for (const row of SYSCALLS) {
    const flags = native[row.name]!.flags;
    assert.equal(flags.filter((f) => !['creds', 'sockname', 'open', 'cwd'].includes(f)), [], row.name);
    assert.is(flags.includes('creds'), row.creds === true, `${row.name}: creds`);
    // the pre-filter decides at the entry stop by path and flags: not when the flags are behind a pointer
    assert.is(flags.includes('open'), row.open === true && !row.regs.some((r) => r.capture === 'open_how'), `${row.name}: open`);
    // the new cwd from /proc: an fd the state may not know
    assert.is(flags.includes('cwd'), row.cwd === true && readsFdTable(row), `${row.name}: cwd`);
    if (row.state) assert.ok(row.creds, `${row.name}: a state syscall for credentials must carry them`);
  }
});

test('registers fill parameters of the row, of a type their capture can give', () => {
  const TYPES: Record<string, string[]> = { path: ['fspath', 'fsrelpath', 'charbuf'], dirfd: ['fd'], fd: ['fd'] };
  for (const row of SYSCALLS) {
    const fdRegs = row.regs.flatMap((r, i) => (r.capture === 'fd' ? [i] : []));
    // the builder reads the event's fd in register 0
    assert.ok(fdRegs.length === 0 || (fdRegs.length === 1 && fdRegs[0] === 0), `${row.name}: the event's fd is register 0`);
    for (const reg of row.regs) {
      if (reg.param === undefined) continue;
      const param = row.params.find((x) => x.name === reg.param);
      assert.ok(param, `${row.name}: register fills ${reg.param}, not a parameter`);
      const allowed = TYPES[reg.capture];
      if (allowed) assert.ok(allowed.includes(param!.type), `${row.name}.${reg.param}: ${param!.type} from a ${reg.capture} register`);
      else assert.not.ok(['fspath', 'fsrelpath', 'charbuf', 'sockaddr', 'tuple', 'bytes'].includes(param!.type), `${row.name}.${reg.param}: a string from a value register`);
    }
    // a relative path's directory fd is a dirfd register of the same row
    for (const x of row.params.filter((x) => x.dirfd !== undefined)) {
      assert.ok(row.regs.some((r) => r.capture === 'dirfd' && r.param === x.dirfd), `${row.name}.${x.name}: dirfd ${x.dirfd}`);
    }
  }
});

test("evt.type's names: every syscall the agent decodes once, but those known only for tests", () => {
  assert.is(new Set(FALCO_SYSCALL_NAMES).size, FALCO_SYSCALL_NAMES.length, 'no name twice');
  for (const row of SYSCALLS) assert.is(FALCO_SYSCALL_NAMES.includes(row.name), !row.testOnly, row.name);
});

// ---- The builder against the roles ----

const PID = 4_000_101; // no real process has it: the state must not find it in /proc
const NAMES = new Map(Object.entries(native).map(([name, s]) => [s.nr, name]));

/** What the builder did with one record of `row`: every register 3 (fd 3 is in the table), strings `x`. */
function effects(row: SyscallRow, ret: number): { readsTable: boolean; changesTable: boolean; changesCwd: boolean } {
  const state = new ProcessTable(initialContainer({ id: 'test' }), new UserDb());
  // an exact table (as a capture keeps it): the builder takes an fd from it when it has one
  const b = new EventBuilder(state, NAMES, false);
  const base = { pid: PID, tid: PID, ts: 1n, ret: 0, args: [0, 0, 0, 0, 0, 0] };
  b.apply({ ...base, kind: RecordKind.Exec, nr: -1, flags: RecordFlag.Main, args: [PID, 0, 0, 0, 0, 0], items: new Map([[ItemTag.Exe, Buffer.from('/app')], [ItemTag.Cwd, Buffer.from('/srv')]]) });
  const p = state.get(PID)!;
  const entry: FdEntry = { num: 3, type: 'file', name: '/from/the/table' };
  p.fds.set(3, entry);
  const table = JSON.stringify([...p.fds]);
  const items = new Map(row.regs.flatMap((r, i) => (r.capture === 'path' ? [[ItemTag.Arg0 + i, Buffer.from('x')] as const] : [])));
  const evt = b.apply({ ...base, ts: 2n, kind: RecordKind.Syscall, nr: native[row.name]!.nr, flags: RecordFlag.HasRet, ret, args: [3, 3, 3, 3, 3, 3], items });
  assert.ok(evt, `${row.name}: an event`);
  return {
    readsTable: evt!.fd === entry || evt!.fd?.name === entry.name,
    changesTable: JSON.stringify([...p.fds]) !== table,
    changesCwd: p.cwd !== '/srv',
  };
}

test("the builder takes the event's fd from the fd table exactly for the readsFdTable rows (the open pre-filter's FD_TABLE_TYPES)", () => {
  for (const row of SYSCALLS) {
    const runs = [-9, 0, 5].map((ret) => effects(row, ret));
    assert.is(runs.some((r) => r.readsTable), readsFdTable(row), `${row.name}: reads the fd table`);
  }
});

test('a syscall whose event changes the fd table has the fdTable role; one that changes the cwd the cwd role', () => {
  let changed = 0;
  for (const row of SYSCALLS) {
    const runs = [-9, 0, 5].map((ret) => effects(row, ret));
    if (runs.some((r) => r.changesTable)) {
      changed++;
      assert.ok(row.fdTable, `${row.name}: changes the fd table without the fdTable role (a lazy table would miss it)`);
    }
    if (runs.some((r) => r.changesCwd)) assert.ok(row.cwd, `${row.name}: changes the cwd without the cwd role`);
  }
  assert.ok(changed >= 8, `the records did change the table (${changed} syscalls)`);
});

test.run();
