// The seccomp-bpf program the tracer installs, run through a small BPF
// interpreter: which syscalls stop the workload, with which RET_DATA, and
// that other ABIs (i386 int 0x80, x32) cannot slip past.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadAddon } from '../../src/tracer/native.js';
import { knownSyscalls } from '../../src/tracer/index.js';

const AUDIT_ARCH_X86_64 = 0xc000003e;
const AUDIT_ARCH_I386 = 0x40000003;
const RET_ALLOW = 0x7fff0000;
/** Every RET_DATA of ours carries this mark: tells our stops from a workload filter's (native/seccomp.h). */
const MAGIC = 0xa500;
const RET_TRACE = 0x7ff00000 | MAGIC;
const WANT_EXIT = 1;
const FOREIGN = 2;

type Insn = [number, number, number, number];

/** Runs a classic BPF program over seccomp_data {nr, arch, ...}. */
function run(prog: Insn[], nr: number, arch = AUDIT_ARCH_X86_64): number {
  let a = 0;
  for (let pc = 0; pc < prog.length; ) {
    const [code, jt, jf, k] = prog[pc]!;
    switch (code) {
      case 0x20: // ld w abs
        a = k === 0 ? nr >>> 0 : k === 4 ? arch >>> 0 : 0;
        pc++;
        break;
      case 0x15: // jeq k
        pc += 1 + ((a >>> 0) === (k >>> 0) ? jt : jf);
        break;
      case 0x35: // jge k
        pc += 1 + ((a >>> 0) >= (k >>> 0) ? jt : jf);
        break;
      case 0x06: // ret k
        return k >>> 0;
      default:
        throw new Error(`unexpected BPF opcode ${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('fell off the end of the program');
}

const addon = loadAddon();
const nr = knownSyscalls();

test('listed syscalls trace, with WANT_EXIT only where asked', () => {
  const prog = addon.filterProgram([
    { name: 'openat', exit: true },
    { name: 'close', exit: false },
    { name: 'execve', exit: true },
  ]);
  assert.is(run(prog, nr.openat!), (RET_TRACE | WANT_EXIT) >>> 0);
  assert.is(run(prog, nr.execve!), (RET_TRACE | WANT_EXIT) >>> 0);
  assert.is(run(prog, nr.close!), RET_TRACE >>> 0);
});

test('everything else is allowed without a stop', () => {
  const prog = addon.filterProgram([{ name: 'openat', exit: true }]);
  for (const n of [0, 1, nr.getppid!, nr.close!, nr.connect!, 435, 450]) assert.is(run(prog, n), RET_ALLOW, `nr ${n}`);
});

test('other ABIs always stop, flagged FOREIGN', () => {
  const prog = addon.filterProgram([{ name: 'openat', exit: true }]);
  assert.is(run(prog, 5, AUDIT_ARCH_I386), (RET_TRACE | FOREIGN) >>> 0, 'i386 open via int 0x80');
  assert.is(run(prog, 0x40000000 + 257), (RET_TRACE | FOREIGN) >>> 0, 'x32 openat');
});

test('the full set: each syscall the tracer knows traces; duplicates collapse', () => {
  const all = Object.keys(nr).map((name) => ({ name, exit: true }));
  const prog = addon.filterProgram([...all, ...all]);
  for (const n of Object.values(nr)) assert.is(run(prog, n), (RET_TRACE | WANT_EXIT) >>> 0);
  // arch check, x32 check, one compare and one return per syscall, allow
  assert.is(prog.length, 6 + 2 * Object.keys(nr).length + 1);
});

test("every stop of ours carries the mark; a workload's own RET_TRACE data cannot be mistaken for one", () => {
  const prog = addon.filterProgram([{ name: 'openat', exit: true }, { name: 'close', exit: false }]);
  for (const n of [nr.openat!, nr.close!]) assert.is((run(prog, n) & 0xff00) >>> 0, MAGIC);
  assert.is((run(prog, 5, AUDIT_ARCH_I386) & 0xff00) >>> 0, MAGIC);
});

test('an empty set allows everything', () => {
  const prog = addon.filterProgram([]);
  assert.is(run(prog, nr.openat!), RET_ALLOW);
});

test.run();
