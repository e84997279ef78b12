// SYSDIG_EXTRA_ARGS -> argv words, split the way a POSIX shell splits words:
// blanks separate words; '...' is literal; "..." keeps blanks and lets a
// backslash escape only $ ` " \ and newline; an unquoted backslash escapes the
// next character; backslash-newline is a line continuation. No expansion of
// any kind ($VAR, globs, ~ are kept as typed). Pure.

export interface SplitResult {
  words: string[];
  /** Set when the input is malformed (unterminated quote); words is then empty. */
  error?: string;
}

const BLANK = /[ \t\n\r\f\v]/;
const DQ_ESCAPABLE = '$`"\\\n';

export function splitShellWords(input: string): SplitResult {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input[i]!;
    if (BLANK.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const close = input.indexOf("'", i + 1);
      if (close === -1) return { words: [], error: `unterminated single quote at offset ${i}` };
      cur += input.slice(i + 1, close);
      inWord = true;
      i = close + 1;
    } else if (c === '"') {
      const open = i;
      inWord = true;
      i++;
      for (;;) {
        if (i >= n) return { words: [], error: `unterminated double quote at offset ${open}` };
        const d = input[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < n && DQ_ESCAPABLE.includes(input[i + 1]!)) {
          if (input[i + 1] !== '\n') cur += input[i + 1];
          i += 2;
        } else {
          cur += d;
          i++;
        }
      }
    } else if (c === '\\') {
      if (i + 1 >= n) {
        cur += '\\'; // a trailing backslash stays (as in bash)
        inWord = true;
        i++;
      } else if (input[i + 1] === '\n') {
        i += 2; // line continuation
      } else {
        cur += input[i + 1];
        inWord = true;
        i += 2;
      }
    } else {
      cur += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return { words };
}
