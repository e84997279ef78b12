// The expectations of libsinsp's filter tests and Falco's engine tests,
// restated in our own words as data, each checked through the same loader
// `agentctl validate` runs (test/rules/parity.test.ts in-process,
// scripts/parity.mjs through bin/agentctl validate --json).
//
// Sources (read with the search tool; facts carried over, not code):
//   libs  userspace/libsinsp/test/filter_parser.ut.cpp      (grammar)
//   libs  userspace/libsinsp/test/filter_compiler.ut.cpp,
//         filter_op_*.ut.cpp, libsinsp/filter_compare.cpp   (operator/type checks)
//   libs  userspace/libsinsp/filter/escaping.cpp            (unescape_str)
//   libs  userspace/libsinsp/test/filter_transformer.ut.cpp (transformer types)
//   libs  userspace/libsinsp/test/filterchecks/cmp_operator_modifiers.cpp
//   falco unit_tests/engine/test_rule_loader.cpp, userspace/engine/rule_loading_messages.h,
//         userspace/engine/falco_load_result.cpp, rule_loader.cpp (messages, codedescs, locations)
// libsinsp's tests use made-up fields (a.b, test.str, test.num); here they
// are real fields of the same type (proc.name, proc.pid), and bare
// identifiers are macros every case defines (see MACROS).

export interface ConditionCase {
  kind: 'condition';
  from: string;
  cond: string;
  accept: boolean;
  /** A substring of the first error's message. */
  msg?: string;
}

export interface RulesCase {
  kind: 'rules';
  from: string;
  name: string;
  yaml: string;
  accept: boolean;
  /** A substring of some error message. */
  msg?: string;
  /** A substring of some warning message; `null`: no warning at all. */
  warn?: string | null;
  /** The compiled condition of rule `rule`, as Falco prints condition_compiled. */
  compiled?: { rule: string; text: string };
}

/** A condition evaluated on an execve of a process named `comm` (default `app`). */
export interface EvalCase {
  kind: 'eval';
  from: string;
  cond: string;
  comm?: string;
  expect: boolean;
}

export type ParityCase = ConditionCase | RulesCase | EvalCase;

/** Macros every condition case may name (libsinsp's tests use bare identifiers). */
export const MACROS = ['a', 'b', 'c', 'macro', 'not_macro', 'and_macro', 'or_macro', 'notb', 'notz'];

/** A rules file for a condition case: the macros, then one rule. */
export function conditionFile(cond: string): string {
  let s = '';
  for (const m of MACROS) s += `- macro: ${m}\n  condition: proc.name = ${m}\n`;
  return s + `- rule: r\n  desc: d\n  condition: ${JSON.stringify(cond)}\n  output: "o %proc.name"\n  priority: WARNING\n`;
}

const P = 'libsinsp filter_parser';
const C = 'libsinsp filter_compare/filter_compiler';
const T = 'libsinsp filter_transformer';
const M = 'libsinsp cmp_operator_modifiers';
const E = 'libsinsp escaping';
const F = 'falco test_rule_loader';
const MV = 'libsinsp multivalue transformers';

const acc = (from: string, ...conds: string[]): ConditionCase[] => conds.map((cond) => ({ kind: 'condition', from, cond, accept: true }));
const rej = (from: string, ...conds: string[]): ConditionCase[] => conds.map((cond) => ({ kind: 'condition', from, cond, accept: false }));
const rejMsg = (from: string, msg: string, ...conds: string[]): ConditionCase[] => conds.map((cond) => ({ kind: 'condition', from, cond, accept: false, msg }));

const CONDITIONS: ConditionCase[] = [
  // ---- grammar smoke test: and/or/not, parentheses, blanks
  ...acc(P, '  a', '(a)', 'a and b', 'a and b and c', 'a and b and(c)', '(a)and(b)and(c)', '(a and b)', 'a or b', 'a or b or c',
    'a or b or(c)', '(a)or(b)or(c)', '(a or b)', '(proc.name exists and b)', '(proc.name exists) and (b)', 'proc.name exists and b',
    'proc.name=1 or proc.pname=2 and c', 'not (a)', 'not(a)', 'not (not (a))', 'not (proc.name=1)', 'not (proc.name exists)', 'not a',
    'proc.name = 1 and not a', 'not not a', '(not not a)', 'not not(a)', 'not(not(a))', 'not(a)and(not(b))', 'not proc.name=1',
    'not proc.name exists', 'proc.name = bla', "proc.name = 'bla'", 'proc.name = not', 'proc.name contains bla', "proc.name icontains 'bla'",
    "proc.name in (1, 'a', b)", 'evt.dir=> and fd.name=*.log', "proc.name in (1, 'a', b.c)", 'proc.name = proc.pname', 'a and notb',
    'a or notb', 'notz and a and b', 'macro and not_macro', 'macro and not not_macro', 'macro and not(not_macro)', '((macro) and (not_macro))',
    'macro and and_macro', '((macro) and (and_macro))', 'macro and or_macro', '((macro) and (or_macro))', 'evt.arg[0] contains /bin',
    'evt.arg[a] contains /bin'),
  ...rej(P, 'a andb', 'aand b', 'a and b and', 'a and b or', 'a and b not', 'and a', 'or a', 'a or b and', 'a or b or', 'a or b not',
    'a not b and', 'a not b or', 'a not b not', 'a orb', 'aor b', 'a and or b', 'a andor b', 'a not b', 'a notb', 'anot b', 'a andnot b',
    'a andnotb', '(a)andnot(b)', 'a ornot b', 'a ornotb', '(a)ornot(b)', 'evt.arg[] contains /bin', 'proc.name = b = 1', '(proc.name = 1',
    'proc.name invalidoperator xxx', 'macro > 12', "proc.name in ( 1 ,, , b)", '#a and b; a and b', '#a and b; # ; ; a and b',
    'evt.dir=> and fd.name=/var/lo);g/httpd.log'),
  // ---- strings, quoting, field arguments
  ...acc(P, 'proc.name = testval', 'proc.name = 0a!@#456:/\\.;!$%^&*[]{}|', 'proc.name = ""', "proc.name = ''",
    'proc.name = "0a!@#456:/.; !$%^&*[]{}|"', 'proc.name = "test value"', "proc.name = 'test value'",
    'proc.env[aaaa1] = a', 'proc.env[1234] = a', 'proc.env[+0.25e+10] = a', "proc.env['a aa'] = a",
    'proc.env["test \\"with\\"escaping"] = a', 'proc.name = "escape double quote \\" "', "proc.name = 'escape single quote \\' '",
    "proc.name = 'multiple escape single quote \\' \\\\''", "proc.name = 'mixed \"'", 'proc.name = "mixed \'"', 'proc.name = "bad escape \\ "'),
  ...rej(P, 'proc.name = a,', 'proc.name = a=', 'proc.name = a(\'")', "proc.name = '", 'proc.name = "', "proc.name = '\"", 'proc.name = "\'',
    'proc.name = missing start quote', "proc.name = 'missing end quote", 'proc.name = "broken escape double quote""',
    "proc.name = 'broken escape single quote''", 'proc.name = "mixed \\\'"', "proc.name = 'mixed \\\"'",
    'proc.env[0a!@#456:/\\.;!$%^&*[]{}] = testval', 'proc.env[] = testval', 'proc.env[[] = testval', 'proc.env[]] = testval',
    "proc.env['''] = a", 'proc.env[aaa"] = a', 'proc.env[   test   ] = testval', 'proc.env[ = testval', 'proc.env] = testval'),
  // ---- numbers
  ...acc(P, 'proc.pid > 1000', 'proc.pid < +1', 'proc.pid >= -1', 'proc.pid <= 0x12345', 'proc.pid <= 0XaB00AB', 'proc.pid > 1.2',
    'proc.pid < -1.2', 'proc.pid > -0.1222e+10', 'proc.name = !0.1222e+10', 'proc.name = 0xAAA.1', 'proc.name = 0aaaaa', 'proc.name = a'),
  // a numeric operator takes a number, whatever the field's type
  ...rej(P, 'proc.name < b', 'proc.pid > !0.1222e+10', 'proc.pid < 0xAAA.1', 'proc.pid >= 0aaaaa', 'proc.pid <= a'),
  // ---- lists
  ...acc(P, 'proc.name in ()', 'proc.name in (a)', "proc.name in ('single-quoted')", 'proc.name in ("double-quoted")',
    'proc.name in (0a!@#456:/\\.;!$%^&*[]{}|)', 'proc.name in (0a!@#456:/\\.;!$%^&*[]{}|, value)', "proc.name in (value, \"value\", 'value')",
    'proc.name intersects (value)', 'fd.name pmatch (value)'),
  ...rej(P, 'proc.name in (', 'proc.name in )', 'proc.name in (value,)', 'proc.name in (value,,)', 'proc.name in (,)', 'proc.name in (,   ,)',
    'proc.name > (value)', 'proc.name = (value)', 'proc.name < (value)', 'proc.name startswith (value)', 'proc.name bstartswith (value)',
    'proc.name contains (value)', 'proc.name icontains (value)'),
  // ---- operators
  ...acc(P, 'proc.name exists and macro', 'proc.name exists', 'proc.name = value', 'proc.name == value', 'proc.name != value',
    'proc.name glob value', 'proc.name iglob value', 'proc.name contains value', 'proc.name icontains value', 'evt.buffer bcontains 48545450',
    'proc.name startswith value', 'evt.buffer bstartswith 12ab001fc5', 'proc.name endswith value', 'proc.pid > 1', 'proc.pid < 1',
    'proc.pid >= 1', 'proc.pid <= 1', 'proc.name in()', 'proc.name existsand macro'),
  ...rej(P, 'proc.name ExIsTs', 'proc.name exists something', 'proc.name ===', 'proc.name !==', 'proc.name startswithvalue',
    'proc.name bstartswithvalue', 'proc.name endswithvalue', 'proc.name containsvalue', 'proc.name icontainsvalue', 'proc.name bcontainsvalue',
    'proc.name globvalue', 'proc.name iglobvalue'),
  // ---- transformers on the left-hand side
  ...acc(P, 'tolower(proc.name) exists', 'toupper(proc.name) exists', 'b64(proc.name) exists', 'b64(proc.name) = value', 'b64(proc.name) == value',
    'b64(proc.name) != value', 'b64(proc.name) glob value', '(b64(proc.name) exists)', "b64(proc.name) exists and b64(proc.name) contains 'a'",
    "not b64(proc.name) exists or b64(proc.name) contains 'a'", "not (b64(proc.name) exists or b64(proc.name) contains 'a')",
    'b64(toupper(proc.name)) exists', 'toupper(b64(proc.name)) exists', ' b64(proc.name) exists', '\nb64(proc.name) exists', 'b64( proc.name) exists',
    'b64(\nproc.name) exists', 'b64(proc.name ) exists', 'b64(proc.name\n) exists', 'b64(proc.name)\n exists', 'b64(b64(proc.name)) exists',
    'b64( b64(proc.name)) exists', 'b64(b64(proc.name )) exists', 'basename(proc.exe) = bash', 'len(proc.name) > 3'),
  ...rej(P, 'val(proc.name) exists', 'val(val(proc.name)) exists', 'val(b64(proc.name)) exists', 'b64(val(proc.name)) exists',
    'b64(proc.aname [1]) exists', 'some_fake_transformer(proc.name) exists', 'some_fake_transformer (proc.name) exists',
    'some.fake.transformer(proc.name) exists', 'b64 (proc.name) exists', 'b64,(proc.name) exists', 'b64(testfield)) exists',
    'b64(test_field)) exists', 'b64(b64)) exists', 'b64\n(proc.name) exists', 'b64(proc.name exists', 'proc.name) exists',
    'b64(b64(proc.name exists', 'b64(b64(proc.name) exists', 'b64(proc.name)) exists', '(proc.name) exists', '(proc.name exists',
    'a(proc.name) exists', 'aaaa(proc.name) exists', 'a(b(proc.name)) exists'),
  // ---- transformers and val() on the right-hand side
  ...acc(P, 'proc.name = proc.pname', 'proc.name = val(proc.pname)', 'proc.name = tolower(proc.pname)', 'proc.name = toupper(proc.pname)',
    'proc.name = b64(proc.pname)', 'proc.name == val(proc.pname)', 'proc.name != b64(proc.pname)', 'proc.name glob val(proc.pname)',
    'proc.name iglob b64(proc.pname)', 'proc.name contains val(proc.pname)', 'proc.name startswith b64(proc.pname)',
    'proc.name endswith val(proc.pname)'),
  ...rej(P, 'proc.name = val(toupper(proc.pname))', 'proc.name = val(proc.pname', 'proc.name = b64(proc.pname', 'proc.name = val()'),
  // ---- list modifiers (a word of their own, a list or a list name after them)
  ...acc(M, 'proc.name == oneof (myexe, bash)', 'proc.name != allof (bash, sh)', 'proc.name contains anyof (my, exe)',
    'proc.name icontains allof (MY, EXE)', 'proc.name startswith oneof (my, bash)', 'proc.name endswith anyof (exe, sh)',
    'proc.name glob allof (my*, *exe)', 'proc.name iglob oneof (MY*, BASH)', 'proc.name regex anyof (my.*, b.*)',
    'toupper(proc.name) == oneof (MYEXE, BASH)', 'proc.name == oneof ()'),
  ...rej(M, 'proc.name ==oneof (myexe)'),
  // ---- escapes (unescape_str)
  ...acc(E, 'proc.name = "\\b\\f\\n\\r\\t"', 'proc.name = "a\\\\b"', 'proc.name = "a\\/b"', 'proc.args contains "\\ "'),
  ...rejMsg(E, 'escape', 'proc.name = "\\x41"', 'proc.name = "\\q"'),
  ...rej(E, 'proc.name = "a\0b"'),
  // ---- operator / field type (flt_is_comparable)
  ...rejMsg(C, 'not supported for numeric filters', 'proc.pid contains 1', 'proc.pid startswith 1', 'proc.pid glob 1', 'evt.rawtime glob 1',
    'evt.num icontains 1', 'proc.pid endswith 1', 'proc.pid regex 1', 'evt.failed contains true', 'evt.failed > 0'),
  ...rejMsg(C, 'not supported for ip address and network filters', 'fd.ip > 127', 'fd.sip contains 1', 'fd.net startswith 10', 'fd.cip < 1'),
  ...rejMsg(C, 'not supported for buffer filters', "evt.buffer regex '.*'", 'evt.buffer glob x', 'evt.buffer > 1', 'evt.buffer icontains x'),
  ...rejMsg(C, 'not supported list filters', 'fd.types = file', 'fd.types contains file', 'fd.types startswith f'),
  ...rej(C, 'evt.num pmatch (1)', 'proc.pid pmatch (/tmp)', 'proc.name bcontains 41', 'evt.buffer bstartswith xyz'),
  ...acc(C, 'proc.pid = 1', 'proc.pid in (1, 2)', 'proc.pid intersects (1)', 'fd.ip = 127.0.0.1', 'fd.net = 10.0.0.0/8', 'fd.ip in (127.0.0.1)',
    'evt.failed = true', 'evt.failed != false', 'proc.name < 1', 'proc.name >= 10', 'proc.name regex "a.*"', 'fd.name pmatch (/etc)',
    'fd.types in (file)', 'fd.types intersects (file, ipv4)', 'fd.types exists', 'evt.buffer contains x', 'evt.buffer startswith x'),
  // ---- transformer types (filter_transformer.ut.cpp)
  ...rej(T, 'toupper(proc.pid) = 1', 'tolower(evt.buffer) = x', 'basename(proc.pid) = 1', 'b64(proc.pid) = 1', 'len(proc.pid) = 1',
    'toupper(fd.ip) = x', 'tolower(evt.failed) = true'),
  ...acc(T, 'b64(evt.buffer) contains x', 'len(evt.buffer) = 6', 'len(fd.types) = 1', 'len(fd.name) = 16', 'toupper(fd.name) = X',
    'basename(fd.name) = file_to_run', 'tolower(fd.types) in (file)'),
  // ---- fields Falco has
  ...acc(C, 'thread.cpu > 0', 'evt.count = 1', 'syscall.type = open', 'evt.abspath = /tmp/x', 'evt.abspath.src = /a', 'evt.abspath.dst = /b',
    'fs.path.name = /tmp/x', 'fs.path.source = /a', 'fs.path.target = /b'),
  // ---- multi-value transformers (sinsp_filtercheck_multivalue_transformer.cpp): argument checks and messages
  ...acc(MV, 'join(",", fd.types) = file', 'join(proc.name, fd.types) contains file', 'concat(proc.name, "-", proc.pname) = a-b',
    'getopt(fd.types, "ab:")[a] exists', 'getopt(fd.types, "ab:") in (a)', 'proc.name = concat(proc.pname, "x")'),
  ...rejMsg(MV, 'join() requires exactly 2 arguments', 'join(fd.types) = x', 'join(",", fd.types, fd.types) = x'),
  ...rejMsg(MV, 'join() first argument (separator) must be a single value, not a list', 'join(fd.types, fd.types) = x'),
  ...rejMsg(MV, 'join() second argument must be a list', 'join(",", proc.name) = x'),
  ...rejMsg(MV, 'concat() requires at least 2 arguments', 'concat(proc.name) = x'),
  ...rejMsg(MV, 'concat() arguments must be strings', 'concat(proc.name, proc.pid) = x', 'concat(proc.name, fd.types) = x'),
  ...rejMsg(MV, 'getopt() first argument must be a list', 'getopt(proc.name, "a") exists'),
  ...rejMsg(MV, 'getopt() second argument (optstring) must be a single value', 'getopt(fd.types, fd.types) exists'),
  ...rejMsg(MV, 'getopt() field argument must be a single option character', 'getopt(fd.types, "ab")[ab] exists'),
  ...rejMsg(MV, "transformer 'join' does not support field arguments", 'join(",", fd.types)[a] = x'),
  // ---- parser recursion limit (depth 100)
  ...rejMsg(P, 'exceeded max depth limit of 100', `${'('.repeat(30)}a${')'.repeat(30)}`, `${'('.repeat(10000)}a${')'.repeat(10000)}`),
  ...acc(P, `${'('.repeat(15)}a${')'.repeat(15)}`, `${'not '.repeat(10000)}a`),
];

const rule = (name: string, cond: string, extra = '') =>
  `- rule: ${name}\n  desc: ${name} description\n  condition: ${cond}\n  output: "command=%proc.cmdline"\n  priority: INFO\n${extra}`;

const WARNING_APPEND = "'append' key is deprecated";
const WARNING_ENABLED = "The standalone 'enabled' key usage is deprecated";

const RULES: RulesCase[] = [
  {
    kind: 'rules', from: F, name: 'list_append', accept: true,
    yaml: '- list: shell_binaries\n  items: [ash, bash, csh, ksh, sh, tcsh, zsh, dash]\n' + rule('legit_rule', 'evt.type=open and proc.name in (shell_binaries)') +
      '- list: shell_binaries\n  items: [pwsh]\n  override:\n    items: append\n',
    compiled: { rule: 'legit_rule', text: '(evt.type = open and proc.name in (ash, bash, csh, ksh, sh, tcsh, zsh, dash, pwsh))' },
  },
  {
    kind: 'rules', from: F, name: 'condition_append', accept: true,
    yaml: '- macro: interactive\n  condition: >\n    ((proc.aname=sshd and proc.name != sshd) or\n    proc.name=systemd-logind or proc.name=login)\n' +
      rule('legit_rule', 'evt.type=open and interactive') + '- macro: interactive\n  condition: or proc.name = ssh\n  override:\n    condition: append\n',
    compiled: { rule: 'legit_rule', text: '(evt.type = open and (((proc.aname = sshd and proc.name != sshd) or proc.name = systemd-logind or proc.name = login) or proc.name = ssh))' },
  },
  {
    kind: 'rules', from: F, name: 'rule_override_append (no append warning)', accept: true, warn: null,
    yaml: rule('legit_rule', 'evt.type=open') + '- rule: legit_rule\n  desc: with append\n  condition: and proc.name = cat\n  output: proc=%proc.name\n  override:\n    desc: append\n    condition: append\n    output: append\n',
    compiled: { rule: 'legit_rule', text: '(evt.type = open and proc.name = cat)' },
  },
  {
    kind: 'rules', from: F, name: 'rule_append (deprecated append warns)', accept: true, warn: WARNING_APPEND,
    yaml: rule('legit_rule', 'evt.type=open') + '- rule: legit_rule\n  condition: and proc.name = cat\n  append: true\n',
    compiled: { rule: 'legit_rule', text: '(evt.type = open and proc.name = cat)' },
  },
  {
    kind: 'rules', from: F, name: 'rule_override_replace', accept: true,
    yaml: rule('legit_rule', 'evt.type=open') + '- rule: legit_rule\n  desc: a replaced legit description\n  condition: evt.type = close\n  override:\n    desc: replace\n    condition: replace\n',
    compiled: { rule: 'legit_rule', text: 'evt.type = close' },
  },
  {
    kind: 'rules', from: F, name: 'rule_override_append_replace', accept: true,
    yaml: rule('legit_rule', 'evt.type = close') + '- rule: legit_rule\n  desc: a replaced legit description\n  condition: and proc.name = cat\n  priority: WARNING\n  override:\n    desc: replace\n    condition: append\n    priority: replace\n',
    compiled: { rule: 'legit_rule', text: '(evt.type = close and proc.name = cat)' },
  },
  {
    kind: 'rules', from: F, name: 'rule_incorrect_override_type', accept: false, msg: "Key 'priority' cannot be appended to, use 'replace' instead",
    yaml: rule('failing_rule', 'evt.type = close') + '- rule: failing_rule\n  desc: an appended incorrect field\n  condition: and proc.name = cat\n  priority: WARNING\n  override:\n    desc: replace\n    condition: append\n    priority: append\n',
  },
  {
    kind: 'rules', from: F, name: 'rule_incorrect_append_override', accept: false, warn: WARNING_APPEND, msg: "Keys 'override' and 'append: true' cannot be used together",
    yaml: rule('failing_rule', 'evt.type = close') + '- rule: failing_rule\n  desc: an appended incorrect field\n  condition: and proc.name = cat\n  append: true\n  override:\n    desc: replace\n    condition: append\n',
  },
  {
    kind: 'rules', from: F, name: 'macro_override_append_before_macro_definition', accept: false, msg: "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists",
    yaml: '- macro: open_simple\n  condition: or evt.type = openat2\n  override:\n    condition: append\n- macro: open_simple\n  condition: evt.type in (open,openat)\n' + rule('test_rule', 'open_simple'),
  },
  {
    kind: 'rules', from: F, name: 'macro_override_replace_before_macro_definition', accept: true,
    yaml: '- macro: open_simple\n  condition: or evt.type = openat2\n  override:\n    condition: replace\n- macro: open_simple\n  condition: evt.type in (open,openat)\n' + rule('test_rule', 'open_simple'),
    compiled: { rule: 'test_rule', text: 'evt.type in (open, openat)' },
  },
  {
    kind: 'rules', from: F, name: 'macro_append_before_macro_definition', accept: false, msg: 'no macro by that name already exists',
    yaml: '- macro: open_simple\n  condition: or evt.type = openat2\n  append: true\n- macro: open_simple\n  condition: evt.type in (open,openat)\n' + rule('test_rule', 'open_simple'),
  },
  {
    kind: 'rules', from: F, name: 'macro_override_append_after_macro_definition', accept: true,
    yaml: '- macro: open_simple\n  condition: evt.type in (open,openat)\n- macro: open_simple\n  condition: or evt.type = openat2\n  override:\n    condition: append\n' + rule('test_rule', 'open_simple'),
    compiled: { rule: 'test_rule', text: '(evt.type in (open, openat) or evt.type = openat2)' },
  },
  {
    kind: 'rules', from: F, name: 'macro_append_after_macro_definition', accept: true, warn: WARNING_APPEND,
    yaml: '- macro: open_simple\n  condition: evt.type in (open,openat)\n- macro: open_simple\n  condition: or evt.type = openat2\n  append: true\n' + rule('test_rule', 'open_simple'),
    compiled: { rule: 'test_rule', text: '(evt.type in (open, openat) or evt.type = openat2)' },
  },
  {
    kind: 'rules', from: F, name: 'rule_override_append_before_rule_definition', accept: false, msg: "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists",
    yaml: '- rule: test_rule\n  condition: and proc.name = cat\n  override:\n    condition: append\n' + rule('test_rule', 'evt.type in (open,openat)'),
  },
  {
    kind: 'rules', from: F, name: 'rule_override_replace_before_rule_definition', accept: false, msg: "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists",
    yaml: '- rule: test_rule\n  condition: and proc.name = cat\n  override:\n    condition: replace\n' + rule('test_rule', 'evt.type in (open,openat)'),
  },
  {
    kind: 'rules', from: F, name: 'rule_append_before_rule_definition', accept: false, msg: "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists",
    yaml: '- rule: test_rule\n  condition: and proc.name = cat\n  append: true\n' + rule('test_rule', 'evt.type in (open,openat)'),
  },
  {
    kind: 'rules', from: F, name: 'rule_override_append_after_rule_definition', accept: true,
    yaml: rule('test_rule', 'evt.type in (open,openat)') + '- rule: test_rule\n  condition: and proc.name = cat\n  override:\n    condition: append\n',
    compiled: { rule: 'test_rule', text: '(evt.type in (open, openat) and proc.name = cat)' },
  },
  {
    kind: 'rules', from: F, name: 'rule_append_after_rule_definition', accept: true,
    yaml: rule('test_rule', 'evt.type in (open,openat)') + '- rule: test_rule\n  condition: and proc.name = cat\n  append: true\n',
    compiled: { rule: 'test_rule', text: '(evt.type in (open, openat) and proc.name = cat)' },
  },
  {
    kind: 'rules', from: F, name: 'list_override_append_typo (a redefinition)', accept: true,
    yaml: '- list: dev_creation_binaries\n  items: ["csi-provisioner", "csi-attacher"]\n  overridde:\n    items: append\n- list: dev_creation_binaries\n  items: [blkid]\n' +
      rule('test_rule', 'evt.type = execve and proc.name in (dev_creation_binaries)'),
    compiled: { rule: 'test_rule', text: '(evt.type = execve and proc.name in (blkid))' },
  },
  {
    kind: 'rules', from: F, name: 'list_override_append_before_list_definition', accept: false, msg: "List uses 'append' or 'override.items: append' but no list by that name already exists",
    yaml: '- list: dev_creation_binaries\n  items: ["csi-provisioner", "csi-attacher"]\n  override:\n    items: append\n- list: dev_creation_binaries\n  items: [blkid]\n' +
      rule('test_rule', 'evt.type = execve and proc.name in (dev_creation_binaries)'),
  },
  {
    kind: 'rules', from: F, name: 'list_override_replace_before_list_definition', accept: true,
    yaml: '- list: dev_creation_binaries\n  items: ["csi-provisioner", "csi-attacher"]\n  override:\n    items: replace\n- list: dev_creation_binaries\n  items: [blkid]\n' +
      rule('test_rule', 'evt.type = execve and proc.name in (dev_creation_binaries)'),
    compiled: { rule: 'test_rule', text: '(evt.type = execve and proc.name in (blkid))' },
  },
  {
    kind: 'rules', from: F, name: 'list_append_before_list_definition', accept: false, msg: 'no list by that name already exists',
    yaml: '- list: dev_creation_binaries\n  items: ["csi-provisioner", "csi-attacher"]\n  append: true\n- list: dev_creation_binaries\n  items: [blkid]\n' +
      rule('test_rule', 'evt.type = execve and proc.name in (dev_creation_binaries)'),
  },
  {
    kind: 'rules', from: F, name: 'list_override_append_after_list_definition', accept: true,
    yaml: '- list: dev_creation_binaries\n  items: [blkid]\n- list: dev_creation_binaries\n  items: ["csi-provisioner", "csi-attacher"]\n  override:\n    items: append\n' +
      rule('test_rule', 'evt.type = execve and proc.name in (dev_creation_binaries)'),
    compiled: { rule: 'test_rule', text: '(evt.type = execve and proc.name in (blkid, csi-provisioner, csi-attacher))' },
  },
  {
    kind: 'rules', from: F, name: 'list_append_after_list_definition', accept: true,
    yaml: '- list: dev_creation_binaries\n  items: [blkid]\n- list: dev_creation_binaries\n  items: ["csi-provisioner", "csi-attacher"]\n  append: true\n' +
      rule('test_rule', 'evt.type = execve and proc.name in (dev_creation_binaries)'),
    compiled: { rule: 'test_rule', text: '(evt.type = execve and proc.name in (blkid, csi-provisioner, csi-attacher))' },
  },
  {
    kind: 'rules', from: F, name: 'rule_override_without_field', accept: false, msg: "An append override for 'condition' was specified but 'condition' is not defined",
    yaml: rule('failing_rule', 'evt.type = close') + '- rule: failing_rule\n  desc: an appended incorrect field\n  override:\n    desc: replace\n    condition: append\n',
  },
  {
    kind: 'rules', from: F, name: 'rule_override_extra_field', accept: false, msg: "Unexpected key 'priority'",
    yaml: rule('failing_rule', 'evt.type = close') + '- rule: failing_rule\n  desc: an appended incorrect field\n  condition: and proc.name = cat\n  priority: WARNING\n  override:\n    desc: replace\n    condition: append\n',
  },
  {
    kind: 'rules', from: F, name: 'missing_enabled_key_with_override', accept: false, msg: "'enabled' was specified but 'enabled' is not defined",
    yaml: rule('test_rule', 'evt.type = close', '  enabled: false\n') + '- rule: test_rule\n  desc: missing enabled key\n  condition: and proc.name = cat\n  override:\n    desc: replace\n    condition: append\n    enabled: replace\n',
  },
  {
    kind: 'rules', from: F, name: 'rule_override_with_enabled (no warning)', accept: true, warn: null,
    yaml: rule('test_rule', 'evt.type = close', '  enabled: false\n') + '- rule: test_rule\n  desc: correct override\n  condition: and proc.name = cat\n  enabled: true\n  override:\n    desc: replace\n    condition: append\n    enabled: replace\n',
  },
  { kind: 'rules', from: F, name: 'rule_not_enabled (no warning)', accept: true, warn: null, yaml: rule('test_rule', 'evt.type = close', '  enabled: false\n') },
  {
    kind: 'rules', from: F, name: 'rule_enabled_warning (standalone enabled)', accept: true, warn: WARNING_ENABLED,
    yaml: rule('test_rule', 'evt.type = close', '  enabled: false\n') + '- rule: test_rule\n  enabled: true\n',
  },
  {
    kind: 'rules', from: F, name: 'rewrite_rule', accept: true,
    yaml: rule('test_rule', 'evt.type = close', '  enabled: false\n') + rule('test_rule', 'proc.name = cat', '  enabled: true\n'),
    compiled: { rule: 'test_rule', text: 'proc.name = cat' },
  },
  { kind: 'rules', from: F, name: 'required_engine_version_semver', accept: true, warn: null, yaml: '- required_engine_version: 0.26.0\n' + rule('test_rule', 'evt.type = close', '  enabled: false\n') },
  { kind: 'rules', from: F, name: 'required_engine_version_not_semver', accept: true, warn: null, yaml: '- required_engine_version: 26\n' + rule('test_rule', 'evt.type = close', '  enabled: false\n') },
  { kind: 'rules', from: F, name: 'required_engine_version_invalid', accept: false, msg: 'Unable to parse engine version', yaml: '- required_engine_version: seven\n' + rule('test_rule', 'evt.type = close', '  enabled: false\n') },
  // ---- keys and items named in issue 13 (Falco's loader behaviour)
  { kind: 'rules', from: F, name: 'capture and capture_duration keys', accept: true, warn: null, yaml: rule('r', 'evt.type = close', '  capture: true\n  capture_duration: 5000\n') },
  { kind: 'rules', from: F, name: 'a wrong-typed capture_duration', accept: false, yaml: rule('r', 'evt.type = close', '  capture: true\n  capture_duration: soon\n') },
  { kind: 'rules', from: F, name: 'a list name with a space warns', accept: true, warn: 'List has an invalid name', yaml: "- list: 'my list'\n  items: [a]\n" + rule('r', 'evt.type = close') },
  { kind: 'rules', from: F, name: 'a macro name with a dash warns', accept: true, warn: 'Macro has an invalid name', yaml: '- macro: my-macro\n  condition: proc.name = a\n' + rule('r', 'evt.type = close') },
  {
    kind: 'rules', from: F, name: 'an unknown key in an exception warns', accept: true, warn: "Unknown key 'note'",
    yaml: rule('r', 'evt.type = close', '  exceptions:\n    - name: e\n      fields: [proc.name]\n      values: [[cat]]\n      note: x\n'),
  },
  ...(['startswith oneof', 'endswith anyof', 'contains allof', '= oneof', 'glob oneof', 'regex oneof', 'icontains oneof'] as const).map((comp): RulesCase => ({
    kind: 'rules', from: F, name: `exception comps: ${comp}`, accept: true,
    yaml: rule('r', 'evt.type = close', `  exceptions:\n    - name: e\n      fields: [proc.name, fd.name]\n      comps: [in, ${comp}]\n      values:\n        - [[cat], [a, b]]\n`),
  })),
  {
    kind: 'rules', from: F, name: 'appending an exception with no values warns', accept: true, warn: 'Overriding/appending exception with no values',
    yaml: rule('r', 'evt.type = close', '  exceptions:\n    - name: e\n      fields: [proc.name]\n      values: [[cat]]\n') +
      '- rule: r\n  exceptions:\n    - name: e\n      values: []\n  override:\n    exceptions: append\n',
  },
  { kind: 'rules', from: F, name: 'evt.dir is deprecated (a warning)', accept: true, warn: 'evt.dir field is deprecated', yaml: rule('r', 'evt.type = close and evt.dir = <') },
  { kind: 'rules', from: F, name: 'list name after a modifier', accept: true, yaml: '- list: l\n  items: [a, b]\n' + rule('r', 'evt.type = close and proc.name = oneof l') },
  { kind: 'rules', from: F, name: 'empty list item from an empty list is fine', accept: true, yaml: '- list: e\n  items: []\n' + rule('r', 'evt.type = close and proc.name in (a, e, b)'), compiled: { rule: 'r', text: '(evt.type = close and proc.name in (a, b))' } },
  { kind: 'rules', from: F, name: 'container.info in an output', accept: true, yaml: '- rule: r\n  desc: d\n  condition: evt.type = close\n  output: "x %container.info"\n  priority: INFO\n' },
  { kind: 'rules', from: F, name: 'unknown macro', accept: false, msg: "Undefined macro 'nosuchmacro' used in filter.", yaml: rule('r', 'evt.type = close and nosuchmacro') },
  { kind: 'rules', from: F, name: 'unknown field', accept: false, msg: 'nonexistent field proc.nme', yaml: rule('r', 'evt.type = close and proc.nme = a') },
];

// libsinsp's filter_compiler boolean_evaluation uses checks that are always
// true (c.true) or false (c.false); here: the process name is `app`.
const T1 = 'proc.name=app';
const F0 = 'proc.name=zzz';
const ev = (from: string, expect: boolean, cond: string, comm?: string): EvalCase => ({ kind: 'eval', from, cond, expect, ...(comm !== undefined ? { comm } : {}) });
const B = (expect: boolean, cond: string) => ev('libsinsp filter_compiler', expect, cond.replaceAll('c.true=1', T1).replaceAll('c.false=1', F0));
const MOD = (expect: boolean, cond: string) => ev(M, expect, cond, 'myexe');

const EVALS: EvalCase[] = [
  B(true, 'c.true=1'), B(false, 'c.false=1'), B(false, 'not c.true=1'), B(false, 'not(c.true=1)'), B(true, 'not not c.true=1'),
  B(true, 'not not(c.true=1)'), B(true, 'not (not c.true=1)'), B(false, 'not not not c.true=1'), B(false, 'not not not(c.true=1)'),
  B(false, 'not (not (not c.true=1))'), B(false, 'not(not(not c.true=1))'), B(true, 'not not not not c.true=1'),
  B(true, 'not not(not not c.true=1)'), B(true, 'c.true=1 and c.true=1'), B(false, 'c.true=1 and c.false=1'),
  B(false, 'c.false=1 and c.true=1'), B(false, 'c.false=1 and c.false=1'), B(false, 'c.true=1 and not c.true=1'),
  B(false, 'not c.true=1 and c.true=1'), B(true, 'c.true=1 or c.true=1'), B(true, 'c.true=1 or c.false=1'), B(true, 'c.false=1 or c.true=1'),
  B(false, 'c.false=1 or c.false=1'), B(true, 'c.false=1 or not c.false=1'), B(true, 'not c.false=1 or c.false=1'),
  B(true, 'c.true=1 or c.true=1 and c.false=1'), B(false, '(c.true=1 or c.true=1) and c.false=1'),
  B(true, 'not (not (c.true=1 or c.true=1) and c.false=1)'), B(false, 'not (c.false=1 or c.false=1 or c.true=1)'),
  B(true, 'not (c.false=1 or c.false=1 and not c.true=1)'), B(false, 'not (c.false=1 or not c.false=1 and c.true=1)'),
  B(false, 'not ((c.false=1 or not (c.false=1 and not c.true=1)) and c.true=1)'),
  // str_escape: the same value however it is quoted
  ev('libsinsp filter_compiler', true, "proc.name = 'hello \\'quoted\\''", "hello 'quoted'"),
  ev('libsinsp filter_compiler', true, 'proc.name = "hello \'quoted\'"', "hello 'quoted'"),
  ev('libsinsp filter_compiler', true, "proc.name = 'hello \"quoted\"'", 'hello "quoted"'),
  ev('libsinsp filter_compiler', true, 'proc.name = "hello \\"quoted\\""', 'hello "quoted"'),
  ev('libsinsp filter_compiler', false, 'proc.name = "hello \'\'quoted\'\'"', "hello 'quoted'"),
  ev('libsinsp filter_compiler', false, "proc.name = 'hello \"\"quoted\"\"'", 'hello "quoted"'),
  // modifiers, per element: oneof exactly one, anyof at least one, allof every one; all false on ()
  MOD(true, 'proc.name == oneof (myexe, bash)'), MOD(false, 'proc.name == oneof (bash, sh)'), MOD(false, 'proc.name == oneof (myexe, myexe)'),
  MOD(true, 'proc.name == anyof (myexe, myexe)'), MOD(true, 'proc.name == allof (myexe)'), MOD(false, 'proc.name == allof (myexe, bash)'),
  MOD(true, 'proc.name == allof (myexe, myexe)'), MOD(true, 'proc.name != oneof (myexe, myexe, bash)'), MOD(false, 'proc.name != oneof (myexe, myexe)'),
  MOD(true, 'proc.name != allof (bash, sh)'), MOD(false, 'proc.name != allof (myexe, bash)'), MOD(true, 'proc.name contains allof (my, exe)'),
  MOD(false, 'proc.name contains oneof (my, exe)'), MOD(true, 'proc.name icontains anyof (MY, EXE)'), MOD(false, 'proc.name icontains oneof (MY, EXE)'),
  MOD(true, 'proc.name startswith allof (my, mye)'), MOD(false, 'proc.name startswith oneof (my, mye)'), MOD(true, 'proc.name endswith allof (exe, yexe)'),
  MOD(true, 'proc.name glob allof (my*, *exe)'), MOD(false, 'proc.name glob oneof (my*, *exe)'), MOD(true, 'proc.name iglob anyof (MY*, *EXE)'),
  MOD(true, 'proc.name regex allof (my.*, .*exe)'), MOD(false, 'proc.name regex oneof (my.*, .*exe)'), MOD(true, 'toupper(proc.name) == oneof (MYEXE, BASH)'),
  MOD(false, 'toupper(proc.name) != allof (MYEXE, BASH)'), MOD(true, 'proc.name == oneof (myexe) and proc.name != allof (bash, sh)'),
  MOD(false, 'proc.name == oneof ()'), MOD(false, 'proc.name == anyof ()'), MOD(false, 'proc.name == allof ()'), MOD(false, 'proc.name != allof ()'),
  // transformers (filter_transformer.ut.cpp)
  ev(T, true, 'toupper(proc.name) = HELLO', 'hello'), ev(T, true, 'tolower(proc.name) = "not excited"', 'NoT eXcItED'),
  ev(T, true, 'b64(proc.name) = hello', 'aGVsbG8='), ev(T, true, 'b64(proc.name) = "world !"', 'd29ybGQgIQ=='),
  ev(T, true, 'len(proc.name) = 5', 'hello'), ev(T, true, 'basename(proc.exe) = hello', 'hello'),
  ev(MV, true, 'concat(proc.name, "-", proc.name) = app-app'), ev(MV, false, 'concat(proc.name, "x") = app'),
];

// Operators the compiler must refuse (filter_compiler supported_operators): bstartswith takes hex.
const HEX: ConditionCase[] = rej(C, 'evt.buffer bstartswith g', 'evt.buffer bstartswith 123Z', 'evt.buffer bstartswith abc_1');
// The expanded "Unexpected outbound connection destination"-style condition of filter_compiler's complex_filter.
const COMPLEX: ConditionCase[] = acc(C,
  '((evt.type = open or evt.type = openat) and evt.is_open_write = true and fd.typechar = f and fd.num >= 0) and (fd.filename in (' +
    '.bashrc, .bash_profile, .bash_history, .bash_login, .bash_logout, .inputrc, .profile, .cshrc, .login, .logout, .history, .tcshrc, ' +
    '.cshdirs, .zshenv, .zprofile, .zshrc, .zlogin, .zlogout) or fd.name in (/etc/profile, /etc/bashrc, /etc/csh.cshrc, /etc/csh.login) ' +
    'or fd.directory in (/etc/zsh)) and not proc.name in (ash, bash, csh, ksh, sh, tcsh, zsh, dash) and not (proc.name = exe and ' +
    '(proc.cmdline contains "/var/lib/docker" or proc.cmdline contains \'/var/run/docker\') and proc.pname in (dockerd, docker, dockerd-current, docker-current))');

export const CASES: ParityCase[] = [...CONDITIONS, ...HEX, ...COMPLEX, ...RULES, ...EVALS];
