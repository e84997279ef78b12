import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineSplitter } from '../../src/logging/lines.js';

const b = (s: string): Buffer => Buffer.from(s);
const s = (x: Buffer | null): string | null => (x === null ? null : x.toString());

test('whole lines pass through, partial lines wait for their newline', () => {
  const sp = new LineSplitter();
  assert.is(s(sp.push(b('a\nb\n'))), 'a\nb\n');
  assert.is(s(sp.push(b('par'))), null);
  assert.is(s(sp.push(b('tial'))), null);
  assert.is(sp.pendingBytes, 7);
  assert.is(s(sp.push(b('\nnext'))), 'partial\n');
  assert.is(s(sp.push(b('\n'))), 'next\n');
  assert.is(s(sp.end()), null);
});

test('a partial last line at end gets a newline', () => {
  const sp = new LineSplitter();
  assert.is(s(sp.push(b('one\ntw'))), 'one\n');
  assert.is(s(sp.end()), 'tw\n');
  assert.is(s(sp.end()), null);
});

test('any chunking of a byte stream yields the same lines, never cut', () => {
  const lines = Array.from({ length: 300 }, (_, i) => `line ${i} ${'é'.repeat(i % 17)}`);
  const all = b(lines.join('\n') + '\n');
  for (let round = 0; round < 50; round++) {
    const sp = new LineSplitter();
    const out: string[] = [];
    let i = 0;
    while (i < all.length) {
      const n = 1 + Math.floor(Math.random() * 40);
      const got = sp.push(all.subarray(i, i + n));
      i += n;
      if (got) {
        assert.is(got[got.length - 1], 0x0a, 'ends with a newline');
        out.push(got.toString('utf8'));
      }
    }
    assert.is(s(sp.end()), null);
    assert.equal(out.join('').split('\n').slice(0, -1), lines);
  }
});

test('an unterminated line beyond the bound is emitted (bounded memory)', () => {
  const sp = new LineSplitter(10);
  assert.is(s(sp.push(b('12345'))), null);
  assert.is(s(sp.push(b('678901'))), '12345678901\n');
  assert.is(sp.pendingBytes, 0);
  assert.is(s(sp.push(b('ok\n' + 'x'.repeat(12)))), 'ok\n' + 'x'.repeat(12) + '\n');
});

test.run();
