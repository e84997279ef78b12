import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { splitShellWords } from '../../src/config/split.js';

const words = (s: string): string[] => {
  const r = splitShellWords(s);
  assert.is(r.error, undefined, `no error for ${s}`);
  return r.words;
};

test('blanks separate words; runs of blanks and edges are ignored', () => {
  assert.equal(words(''), []);
  assert.equal(words('   \t\n '), []);
  assert.equal(words('  --a  b\t--c\nd '), ['--a', 'b', '--c', 'd']);
});

test('single quotes are literal', () => {
  assert.equal(words(`--rules-file '/etc/my rules/a.yaml'`), ['--rules-file', '/etc/my rules/a.yaml']);
  assert.equal(words(`'a\\b "c" $HOME'`), ['a\\b "c" $HOME']);
});

test('double quotes keep blanks; backslash escapes only $ ` " \\ and newline inside', () => {
  assert.equal(words(`"a b" "c\\"d" "e\\\\f" "g\\h" "\\$x"`), ['a b', 'c"d', 'e\\f', 'g\\h', '$x']);
  assert.equal(words(`"one\\\ntwo"`), ['onetwo']);
});

test('unquoted backslash escapes the next character; backslash-newline continues the line', () => {
  assert.equal(words('a\\ b c\\\\d \\"e'), ['a b', 'c\\d', '"e']);
  assert.equal(words('--a \\\n--b'), ['--a', '--b']);
  assert.equal(words('trailing\\'), ['trailing\\']);
});

test('quoted parts join their neighbours; empty quotes make an empty word', () => {
  assert.equal(words(`--x=a"b c"'d e'f`), ['--x=ab cd ef']);
  assert.equal(words(`'' ""`), ['', '']);
  assert.equal(words(`--name=''`), ['--name=']);
});

test('no expansion of any kind', () => {
  assert.equal(words('$HOME ~ *.yaml $(id) `id` ${X}'), ['$HOME', '~', '*.yaml', '$(id)', '`id`', '${X}']);
});

test('unterminated quotes are errors', () => {
  assert.match(splitShellWords(`--a 'oops`).error ?? '', /unterminated single quote at offset 4/);
  assert.match(splitShellWords(`--a "oops \\"`).error ?? '', /unterminated double quote at offset 4/);
  assert.equal(splitShellWords(`'x`).words, []);
});

test.run();
