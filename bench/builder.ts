// The analysis side's record handling without the tracer and without rules:
// tracer records (synthetic, as the tracer writes them) through the event
// builder and the process table (src/state/builder.ts), the per-record work
// the analysis does before the rules see an event. A mix of a web service's
// records: opens (relative and through a dirfd), closes, dups, connects with
// the kernel's fd facts, sends, and a fork + exec + exit now and then.
// Usage: node out/bench/builder.js [--seconds N] [--lazy]
// Prints records/s (one core, one thread).
import { parseArgs } from 'node:util';
import { EventBuilder } from '../src/state/builder.js';
import { ProcessTable } from '../src/state/processes.js';
import { UserDb } from '../src/state/users.js';
import { initialContainer } from '../src/state/container.js';
import { ItemTag, RecordFlag, RecordKind, type TraceRecord } from '../src/tracer/index.js';
import { NAMES, fdFacts, list, recordsOf, sin, str } from '../test/fixtures/records.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, lazy: { type: 'boolean' } } });
const seconds = Number(values.seconds);
const PID = 4_100_000; // no real process: the table never reads /proc for it
const { rec, sys } = recordsOf(PID, 1_700_000_000_000_000_000n);

const sockFacts = (fd: number, local: Buffer, peer: Buffer): Buffer =>
  fdFacts({ fd, mode: 0o140000, domain: 2, sotype: 1, ino: 9000 + fd, local, peer, role: 2, link: `socket:[${9000 + fd}]` });

const exec = (pid: number, argv: string[]) =>
  rec(RecordKind.Exec, pid, { args: [pid], items: new Map([[ItemTag.Exe, str('/usr/bin/' + argv[0])], [ItemTag.Cmdline, list(argv)], [ItemTag.Comm, str(argv[0]!)], [ItemTag.Cwd, str('/app')]]) });
const AT_FDCWD = -100;
const O_CLOEXEC = 0o2000000;
const CHILD = PID + 1;
// One round: 20 records.
const round: TraceRecord[] = [
  sys('openat', [AT_FDCWD, 0, O_CLOEXEC], 7, [[ItemTag.Arg0 + 1, str('views/index.html')], [ItemTag.Cwd, str('/app')]]),
  sys('close', [7], 0),
  sys('openat', [AT_FDCWD, 0, 0o101], 8, [[ItemTag.Arg0 + 1, str('/var/log/app/access.log')]]),
  sys('openat', [9, 0, 0], 10, [[ItemTag.Arg0 + 1, str('static/app.js')], [ItemTag.Dir0, str('/app/public')]]),
  sys('dup2', [10, 11], 11),
  sys('close', [10], 0),
  sys('close', [11], 0),
  sys('socket', [2, 1 | O_CLOEXEC, 0], 12),
  sys('connect', [12, 0, 16], -115, [[ItemTag.Arg0 + 1, sin('10.0.1.20', 5432)], [ItemTag.Local, sin('172.17.0.2', 41000)], [ItemTag.Fd0, sockFacts(12, sin('172.17.0.2', 41000), sin('10.0.1.20', 5432))]]),
  sys('sendto', [12, 0, 120], 120, [[ItemTag.Fd0, sockFacts(12, sin('172.17.0.2', 41000), sin('10.0.1.20', 5432))]]),
  sys('recvfrom', [12, 0, 4096], 300, [[ItemTag.Fd0, sockFacts(12, sin('172.17.0.2', 41000), sin('10.0.1.20', 5432))]]),
  sys('close', [12], 0),
  sys('openat', [AT_FDCWD, 0, 0], 13, [[ItemTag.Arg0 + 1, str('/etc/ssl/certs/ca-certificates.crt')]]),
  sys('fcntl', [13, 2, 1], 0),
  sys('close', [13], 0),
  rec(RecordKind.Clone, CHILD, { args: [PID] }),
  exec(CHILD, ['sh', '-c', 'date']),
  sys('execve', [0], 0, [], CHILD),
  rec(RecordKind.Exit, CHILD, { flags: RecordFlag.Leader }),
  sys('close', [8], 0),
];

const state = new ProcessTable(initialContainer({ id: 'bench' }), new UserDb(), false);
const builder = new EventBuilder(state, NAMES, values.lazy === true);
builder.apply(exec(PID, ['node', 'server.js']));
builder.apply(sys('openat', [AT_FDCWD, 0, 0o200000], 9, [[ItemTag.Arg0 + 1, str('/app/public')]]));

let n = 0;
let events = 0;
const t0 = performance.now();
const end = t0 + seconds * 1000;
while (performance.now() < end) {
  for (let i = 0; i < 50; i++) {
    for (const r of round) if (builder.apply(r) !== undefined) events++;
    n += round.length;
  }
}
const s = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ records: n, events, seconds: +s.toFixed(2), recordsPerSecond: Math.round(n / s), lazy: values.lazy === true }));
