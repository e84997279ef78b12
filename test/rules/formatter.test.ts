// Outputs and alerts in Falco's JSON schema.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatAlert, loadRuleFiles } from '../../src/rules/index.js';
import { alertJson, compileOutput, formatMessage, outputFields, outputTime } from '../../src/rules/formatter.js';
import { CompileError } from '../../src/rules/compiler.js';
import { event, openat, proc, procChain } from './events.js';

const ctx = { hostname: 'h' };

test('%field and %field[arg] substitution, <NA> for missing values, punctuation kept', () => {
  const e = openat(procChain('cat', ['bash', 'sshd'], { args: ['/dev/null'] }), '/dev/null');
  const out = compileOutput('An open was seen (command=%proc.cmdline gp=%proc.aname[2] gggp=%proc.aname[4] file=%fd.name.) 100%', ctx);
  assert.is(formatMessage(out, e), 'An open was seen (command=cat /dev/null gp=sshd gggp=<NA> file=/dev/null.) 100%');
  assert.equal(outputFields(out, e), { 'proc.cmdline': 'cat /dev/null', 'proc.aname[2]': 'sshd', 'proc.aname[4]': null, 'fd.name': '/dev/null' });
});

test('output_fields are typed: numbers, booleans, strings, null', () => {
  const e = openat(proc({ comm: 'x' }), '/x');
  const out = compileOutput('%fd.num %evt.is_open_read %user.uid %proc.name %proc.pname %evt.time.iso8601 %evt.arg.flags', ctx);
  assert.equal(outputFields(out, e), {
    'fd.num': 3,
    'evt.is_open_read': true,
    'user.uid': 1000,
    'proc.name': 'x',
    'proc.pname': null,
    'evt.time.iso8601': 1700000100123456789,
    'evt.arg.flags': 'O_RDONLY',
  });
  assert.is(formatMessage(out, e), '3 true 1000 x <NA> 2023-11-14T22:15:00.123456789Z O_RDONLY');
});

test('unknown output field is a CompileError', () => {
  assert.throws(() => compileOutput('x %proc.nope', ctx), (e: unknown) => e instanceof CompileError);
});

test('Falco JSON alert: time with ns and Z, output line with +0000 and the long priority name', () => {
  const { ruleset } = loadRuleFiles([
    {
      name: 'r.yaml',
      content: '- rule: open_from_cat\n  desc: d\n  condition: evt.type=openat and proc.name=cat\n  output: "An open was seen (command=%proc.cmdline user=%user.name)"\n  priority: info\n  tags: [filesystem]\n',
    },
  ]);
  const e = openat(proc({ comm: 'cat', args: ['/dev/null'], user: { uid: 0 } }), '/dev/null');
  e.ts = 1470327477881781397n;
  const [rule] = ruleset!.evaluate(e);
  assert.ok(rule);
  // Falco's default (time_format_iso_8601: false): the output line starts with %evt.time
  const alert = formatAlert(rule!, e, 'h');
  assert.equal(alert, {
    hostname: 'h',
    output: '16:17:57.881781397: Informational An open was seen (command=cat /dev/null user=<NA>)',
    priority: 'Informational',
    rule: 'open_from_cat',
    source: 'syscall',
    tags: ['filesystem'],
    time: '2016-08-04T16:17:57.881781397Z',
    output_fields: { 'proc.cmdline': 'cat /dev/null', 'user.name': null, 'evt.time': Number(e.ts) },
  });
  // the JSON line carries the time as exact integer nanoseconds (a double would round it)
  assert.match(alertJson(alert), '"evt.time":1470327477881781397}');
  assert.equal(JSON.parse(alertJson(alert)).output, alert.output);
  // time_format_iso_8601: true
  const iso = formatAlert(rule!, e, 'h', { timeFormatIso8601: true });
  assert.is(iso.output, '2016-08-04T16:17:57.881781397+0000: Informational An open was seen (command=cat /dev/null user=<NA>)');
  assert.match(alertJson(iso), '"evt.time.iso8601":1470327477881781397}');
  assert.is(outputTime(5n), '1970-01-01T00:00:00.000000005+0000');
});

test('time fields: text in the output line, integer ns in output_fields, not rounded', () => {
  const { ruleset } = loadRuleFiles([
    { name: 'r.yaml', content: '- rule: t\n  desc: d\n  condition: evt.type=openat\n  output: "%evt.time %evt.datetime %evt.time.iso8601 %evt.rawtime"\n  priority: info\n' },
  ]);
  const e = openat(proc({ comm: 'cat' }), '/x');
  e.ts = 1470327477000000001n;
  const a = formatAlert(ruleset!.evaluate(e)[0]!, e, 'h');
  assert.is(a.output, '16:17:57.000000001: Informational 16:17:57.000000001 2016-08-04 16:17:57.000000001 2016-08-04T16:17:57.000000001Z 1470327477000000001');
  const f = JSON.parse(alertJson(a).replace(/:(\d{16,})/g, ':"$1"')).output_fields;
  assert.equal(f, { 'evt.time': '1470327477000000001', 'evt.datetime': '1470327477000000001', 'evt.time.iso8601': '1470327477000000001', 'evt.rawtime': '1470327477000000001' });
});

test('extract() and fieldsUsed() for trace logs', () => {
  const { ruleset } = loadRuleFiles([
    { name: 'r.yaml', content: '- rule: r\n  desc: d\n  condition: evt.type=ptrace and evt.arg.request contains ATTACH\n  output: "%proc.name %proc.aname[2]"\n  priority: WARNING\n' },
  ], { hostname: 'box' });
  const rs = ruleset!;
  assert.equal(rs.fieldsUsed(), ['evt.arg.request', 'evt.type', 'proc.aname[2]', 'proc.name']);
  const e = event('ptrace', proc({ comm: 'gdb' }), { args: { res: 0, request: 16, pid: 1 } });
  assert.equal(rs.extract(e), { 'evt.arg.request': 'PTRACE_ATTACH', 'evt.type': 'ptrace', 'proc.aname[2]': null, 'proc.name': 'gdb' });
  assert.equal(rs.extract(e, ['evt.hostname']), { 'evt.hostname': 'box' });
});

test.run();
