// Condition grammar: accept/reject cases for every operator, quoting,
// escapes, precedence, field arguments, transformers and val().
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { asString, parseCondition, ParseError, quoteValue } from '../../src/rules/parser.js';

const roundTrip = (text: string) => asString(parseCondition(text));
function rejects(text: string, re?: RegExp): void {
  try {
    parseCondition(text);
  } catch (e) {
    assert.instance(e, ParseError, `${text}: ${String(e)}`);
    if (re) assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`accepted: ${text}`);
}

test('every comparison operator parses', () => {
  for (const op of ['=', '==', '!=', 'contains', 'icontains', 'startswith', 'endswith', 'glob', 'iglob', 'regex', 'bcontains', 'bstartswith']) {
    assert.is(roundTrip(`proc.name ${op} abc`), `proc.name ${op} abc`, op);
  }
  for (const op of ['<', '<=', '>', '>=']) assert.is(roundTrip(`fd.num ${op} 3`), `fd.num ${op} 3`);
  for (const op of ['in', 'intersects', 'pmatch']) assert.is(roundTrip(`fd.name ${op} (/a, /b)`), `fd.name ${op} (/a, /b)`);
  assert.is(roundTrip('proc.pname exists'), 'proc.pname exists');
  assert.is(roundTrip('(proc.pname exists)'), 'proc.pname exists');
});

test('symbol operators need no blanks; in( and pmatch( need none either', () => {
  assert.is(roundTrip('fd.num>=0'), 'fd.num >= 0');
  assert.is(roundTrip('proc.name=bash'), 'proc.name = bash');
  assert.is(roundTrip('proc.name!=bash'), 'proc.name != bash');
  assert.is(roundTrip('proc.name in(a,b)'), 'proc.name in (a, b)');
  assert.is(roundTrip('fd.name pmatch(/etc)'), 'fd.name pmatch (/etc)');
});

test('word operators need a following blank', () => {
  rejects('proc.name containsabc');
  rejects('proc.name startswith"x"');
  rejects('proc.name exists_x');
});

test('reject cases for every operator', () => {
  // word operators glued to their value
  for (const op of ['contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'regex', 'exists']) {
    rejects(`proc.name ${op}x`);
  }
  // operators without a value
  for (const op of ['=', '==', '!=', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'regex']) {
    rejects(`proc.name ${op} `);
    rejects(`proc.name ${op} (a, b)`);
  }
  // list operators need a list
  for (const op of ['in', 'intersects', 'pmatch']) {
    rejects(`proc.name ${op} "a"`, /list/);
    rejects(`proc.name ${op} (a`);
  }
  // numeric operators need a number
  for (const op of ['<', '<=', '>', '>=']) rejects(`fd.num ${op} x`, /number/);
  // unknown operators
  for (const op of ['=~', 'like', '===', '<>', 'has']) rejects(`proc.name ${op} a`);
  // exists takes no value
  rejects('proc.name exists a');
});

test('numeric operators need a number', () => {
  rejects('fd.num < abc', /number/);
  rejects('fd.num >= "3"', /number/);
  assert.is(roundTrip('evt.rawres < -1'), 'evt.rawres < -1');
  assert.is(roundTrip('evt.rawres > 0x10'), 'evt.rawres > 0x10');
});

test('list modifiers oneof/anyof/allof on string operators', () => {
  assert.is(roundTrip('proc.cmdline contains anyof (a, b)'), 'proc.cmdline contains anyof (a, b)');
  assert.is(roundTrip('proc.cmdline startswith allof ("x y", z)'), 'proc.cmdline startswith allof ("x y", z)');
  assert.is(roundTrip('proc.name = oneof (a)'), 'proc.name = oneof (a)');
  rejects('proc.cmdline contains anyof "x"', /list/);
  // a modifier is a word of its own
  rejects('proc.name ==oneof (a)');
});

test('precedence: not > and > or, parentheses group', () => {
  assert.is(roundTrip('a or b and c'), '(a or (b and c))');
  assert.is(roundTrip('a and b or c'), '((a and b) or c)');
  assert.is(roundTrip('not a and b'), '(not a and b)');
  assert.is(roundTrip('not (a and b)'), 'not (a and b)');
  assert.is(roundTrip('(a or b) and c'), '((a or b) and c)');
  // a run of nots is read in a loop; an even number cancels out (as libsinsp reads it)
  assert.is(roundTrip('not not a'), 'a');
  assert.is(roundTrip('not not not a'), 'not a');
  assert.is(roundTrip('a and b and c'), '(a and b and c)');
});

test('and/or/not must be followed by a blank or (', () => {
  assert.is(roundTrip('a and(b)'), '(a and b)');
  assert.is(roundTrip('not(a)'), 'not a');
  rejects('a andb');
  rejects('a or');
  rejects('not');
  rejects('a and not');
  // `nota` is a macro name, not `not a`.
  assert.is(parseCondition('nota').kind, 'macro');
});

test('macros are identifiers without dots', () => {
  const t = parseCondition('spawned_process and proc.name = x');
  assert.is(t.kind, 'and');
  if (t.kind === 'and') assert.is(t.children[0]!.kind, 'macro');
});

test('field arguments', () => {
  assert.is(roundTrip('proc.aname[2] = bash'), 'proc.aname[2] = bash');
  assert.is(roundTrip('proc.args[0] = x'), 'proc.args[0] = x');
  assert.is(roundTrip('evt.arg.flags contains O_TRUNC'), 'evt.arg.flags contains O_TRUNC');
  assert.is(roundTrip('evt.arg[1] = x'), 'evt.arg[1] = x');
  assert.is(roundTrip('proc.env[HOME] = /root'), 'proc.env[HOME] = /root');
  assert.is(roundTrip('container.mount.dest[/var/run/docker.sock] = x'), 'container.mount.dest[/var/run/docker.sock] = x');
  rejects('proc.aname[2 = bash', /\]/);
});

test('bare values: runc:[0:PARENT], paths, globs', () => {
  assert.is(roundTrip('proc.pname in (runc:[0:PARENT], runc:[1:CHILD])'), 'proc.pname in (runc:[0:PARENT], runc:[1:CHILD])');
  assert.is(roundTrip('fd.name startswith /etc/'), 'fd.name startswith /etc/');
  assert.is(roundTrip('fd.name glob *.log'), 'fd.name glob *.log');
});

test('quoting with double and single quotes; printer re-quotes only when needed', () => {
  assert.is(roundTrip('proc.cmdline contains "a b"'), 'proc.cmdline contains "a b"');
  assert.is(roundTrip("proc.cmdline contains 'a b'"), 'proc.cmdline contains "a b"');
  assert.is(roundTrip('proc.name = "bash"'), 'proc.name = bash');
  assert.is(roundTrip('proc.name in ("<NA>", "N/A")'), 'proc.name in (<NA>, N/A)');
  assert.is(roundTrip('proc.args = ""'), 'proc.args = ""');
  assert.is(roundTrip(`proc.args contains "it's"`), `proc.args contains "it's"`);
  rejects('proc.name = "abc', /unterminated/);
  rejects("proc.name = 'abc", /unterminated/);
});

test('escapes in quoted strings', () => {
  const v = (text: string) => {
    const t = parseCondition(text);
    if (t.kind !== 'binary' || t.value.kind !== 'value') throw new Error('not a binary check');
    return t.value.value;
  };
  assert.is(v('proc.args = "a\\tb"'), 'a\tb');
  assert.is(v('proc.args = "a\\nb\\rc"'), 'a\nb\rc');
  assert.is(v('proc.args = "\\b\\f"'), '\b\f');
  assert.is(v('proc.args = "a\\\\b"'), 'a\\b');
  assert.is(v('proc.args = "a\\/b"'), 'a/b');
  assert.is(v('proc.args = "say \\"hi\\""'), 'say "hi"');
  assert.is(v("proc.args = 'it\\'s'"), "it's");
  // libsinsp's unescape_str: a backslash before a blank is one backslash, the blank dropped
  assert.is(v('proc.args contains "\\ "'), '\\');
  rejects('proc.args = "\\x41"', /escape/);
  rejects("proc.args = 'a\\\"b'", /escape/);
  rejects('proc.args = "a\\\'b"', /escape/);
  rejects('proc.args = "\\q"', /escape/);
  rejects('proc.args = "\\x4"', /escape/);
  rejects('proc.args = "\\xZZ"', /escape/);
  // The printer's escapes parse back to the same value.
  for (const s of ['a"b', 'tab\there', 'back\\slash', 'nl\n', '\x01']) assert.is(v(`proc.args = ${quoteValue(s)}`), s);
});

test('transformers and val()', () => {
  assert.is(roundTrip('tolower(proc.name) = bash'), 'tolower(proc.name) = bash');
  assert.is(roundTrip('toupper(basename(proc.exe)) = BASH'), 'toupper(basename(proc.exe)) = BASH');
  assert.is(roundTrip('len(proc.args) > 100'), 'len(proc.args) > 100');
  assert.is(roundTrip('b64(proc.args) contains x'), 'b64(proc.args) contains x');
  assert.is(roundTrip('proc.name = val(proc.pname)'), 'proc.name = val(proc.pname)');
  assert.is(roundTrip('proc.exe != tolower(proc.pexe)'), 'proc.exe != tolower(proc.pexe)');
  rejects('proc.exe != val(tolower(proc.pexe))', /val/);
  rejects('tolower(proc.name = bash');
  rejects('tolower(bash) = x');
});

test('lists: empty, blanks, empty items from empty list substitution', () => {
  assert.is(roundTrip('proc.name in ()'), 'proc.name in ()');
  assert.is(roundTrip('proc.name in ( a ,b , c )'), 'proc.name in (a, b, c)');
  // no empty items (an empty list names resolve on the tree, leaving none)
  rejects('proc.name in (a, , b)');
  rejects('proc.name in (a,)');
  rejects('proc.name in (,)');
  rejects('proc.name in (a b)', /list/);
  rejects('proc.name in "a"', /list/);
});

test('malformed conditions are rejected', () => {
  rejects('');
  rejects('proc.name');
  rejects('proc.name = ');
  rejects('(proc.name = a');
  rejects('proc.name = a)');
  rejects('proc.name ~ a');
  rejects('proc.name = a b');
  rejects('proc. = a');
});

test('errors carry the position', () => {
  try {
    parseCondition('proc.name = a and proc.pid ~ 1');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ParseError);
    assert.is((e as ParseError).pos, 27);
  }
});

test.run();
