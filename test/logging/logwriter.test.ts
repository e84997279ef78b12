// Runs the real bin/logwriter process and talks to it over loopback TCP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { parseLogwriterArgs } from '../../src/logging/logwriter.js';
import { sleep, waitFor } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../bin/logwriter', import.meta.url));

interface Proc {
  proc: ResultPromise<{ buffer: false; reject: false; stdin: 'ignore' }>;
  port: number;
  addresses: string[];
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Complete stdout lines so far. */
  lines(): string[];
  /** Start consuming stdout (if started with readStdout: false). */
  read(): void;
}

const running: Proc[] = [];
test.after.each(async () => {
  for (const p of running.splice(0)) {
    p.proc.kill('SIGKILL');
    await p.proc;
  }
});

async function spawnLogwriter(opts: { readStdout?: boolean } = {}): Promise<Proc> {
  const proc = execa(process.execPath, [BIN, '--port', '0'], { buffer: false, reject: false, stdin: 'ignore' });
  const out: Buffer[] = [];
  let err = '';
  const p: Proc = {
    proc,
    port: 0,
    addresses: [],
    stdout: () => Buffer.concat(out).toString('utf8'),
    lines: () => {
      const text = p.stdout();
      return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').slice(0, -1);
    },
    read() {
      proc.stdout.resume();
    },
  };
  running.push(p);
  proc.stdout.on('data', (d: Buffer) => out.push(d));
  if (opts.readStdout === false) proc.stdout.pause();
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d: string) => (err += d));
  await waitFor(() => /"msg":"listening"/.test(err), `logwriter to listen (stderr: ${err})`);
  const listening = JSON.parse(err.split('\n').find((l) => l.includes('"listening"')) ?? '{}') as {
    port: number;
    addresses: string[];
  };
  p.port = listening.port;
  p.addresses = listening.addresses;
  return p;
}

function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ port, host }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Write `data` in random small chunks, yielding to the event loop in between. */
async function dribble(s: net.Socket, data: Buffer, maxChunk = 48): Promise<void> {
  let i = 0;
  while (i < data.length) {
    const n = 1 + Math.floor(Math.random() * maxChunk);
    if (!s.write(data.subarray(i, i + n))) await new Promise((r) => s.once('drain', r));
    i += n;
    if (Math.random() < 0.3) await new Promise((r) => setImmediate(r));
  }
}

function end(s: net.Socket): Promise<void> {
  return new Promise((r) => s.end(() => r()));
}

const letters = 'abcdefghijklmnopqrstuvwxyz0123456789 {}":,';
function payload(): string {
  let t = '';
  const n = Math.floor(Math.random() * 160);
  for (let i = 0; i < n; i++) t += letters[Math.floor(Math.random() * letters.length)];
  return t;
}

test('parseLogwriterArgs: --port N, --port=N, LOGWRITER_PORT, default; bad values warn', () => {
  assert.is(parseLogwriterArgs(['--port', '4000'], {}).port, 4000);
  assert.is(parseLogwriterArgs(['--port=4001'], { LOGWRITER_PORT: '5' }).port, 4001);
  assert.is(parseLogwriterArgs([], { LOGWRITER_PORT: '4002' }).port, 4002);
  assert.is(parseLogwriterArgs([], {}).port, 32000);
  const bad = parseLogwriterArgs(['--port', 'x', 'extra'], {});
  assert.is(bad.port, 32000);
  assert.is(bad.warnings.length, 2);
});

test('concurrent clients writing small random chunks: every line arrives whole, interleaved by line', async () => {
  const lw = await spawnLogwriter();
  const clients = 3;
  const perClient = 1500;
  const sent: string[][] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const lines = Array.from({ length: perClient }, (_, i) => `c${c} ${i} ${payload()}`);
      sent.push(lines);
      const s = await connect(lw.port);
      await dribble(s, Buffer.from(lines.join('\n') + '\n'));
      await end(s);
    }),
  );
  await waitFor(() => lw.lines().length >= clients * perClient, 'all lines on stdout');
  const got = lw.lines();
  assert.is(got.length, clients * perClient);
  const expected = new Set(sent.flat());
  for (const l of got) assert.ok(expected.has(l), `a whole line: ${JSON.stringify(l.slice(0, 80))}`);
  for (let c = 0; c < clients; c++) {
    const mine = got.filter((l) => l.startsWith(`c${c} `));
    assert.equal(mine, sent.find((ls) => ls[0]?.startsWith(`c${c} `)), `client ${c}: all lines, in order`);
  }
  // The clients really were interleaved (by line) on stdout.
  const firstOwners = new Set(got.slice(0, Math.floor(got.length / 2)).map((l) => l.split(' ')[0]));
  assert.ok(firstOwners.size > 1, 'lines of several clients in the first half');
});

test('clients connecting and disconnecting repeatedly; partial last lines get a newline; resets survive', async () => {
  const lw = await spawnLogwriter();
  for (let i = 0; i < 40; i++) {
    const s = await connect(lw.port);
    if (i % 5 === 4) {
      s.write(`r${i} whole\nr${i} cut`);
      s.resetAndDestroy();
      continue;
    }
    await dribble(s, Buffer.from(`r${i} a\nr${i} partial`), 8);
    await end(s);
  }
  const last = await connect(lw.port);
  last.write('final\n');
  await waitFor(() => lw.lines().includes('final'), 'the last client line');
  await end(last);
  await waitFor(() => lw.lines().filter((l) => /^r\d+ partial$/.test(l)).length === 32, 'all partial lines');
  const got = lw.lines();
  for (let i = 0; i < 40; i++) {
    if (i % 5 === 4) continue;
    assert.ok(got.includes(`r${i} a`), `r${i} a`);
    assert.ok(got.includes(`r${i} partial`), `r${i} partial`);
  }
  for (const l of got) assert.ok(/^(r\d+ (a|partial|whole|cut)|final)$/.test(l), `whole line: ${l}`);
  assert.is(lw.proc.exitCode, null, 'still running');
});

test('listens on ::1 too where available', async () => {
  const lw = await spawnLogwriter();
  assert.ok(lw.addresses.includes(`127.0.0.1:${lw.port}`));
  if (!lw.addresses.includes(`[::1]:${lw.port}`)) return; // no IPv6 loopback here
  const s = await connect(lw.port, '::1');
  s.write('over ipv6\n');
  await waitFor(() => lw.lines().includes('over ipv6'), 'the IPv6 line');
  await end(s);
});

test('stdout backpressure: nothing lost or cut while stdout is not read', async () => {
  const lw = await spawnLogwriter({ readStdout: false });
  const lines = Array.from({ length: 20000 }, (_, i) => `bp ${i} ${'z'.repeat(100)}`);
  const s = await connect(lw.port);
  const writing = dribble(s, Buffer.from(lines.join('\n') + '\n'), 4096).then(() => end(s));
  await sleep(300);
  lw.read();
  await writing;
  await waitFor(() => lw.lines().length >= lines.length, 'every line');
  assert.equal(lw.lines(), lines);
});

test('a taken port: logs, retries, and listens once the port is free', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  const proc = execa(process.execPath, [BIN, `--port=${port}`], { buffer: false, reject: false, stdin: 'ignore' });
  let err = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d: string) => (err += d));
  proc.stdout.resume();
  try {
    await waitFor(() => err.includes('cannot listen; retrying'), 'the retry message');
    await new Promise<void>((r) => blocker.close(() => r()));
    await waitFor(() => err.includes('"msg":"listening"'), 'listening after the retry');
    assert.is(proc.exitCode, null);
  } finally {
    blocker.close();
    proc.kill('SIGKILL');
    await proc;
  }
});

test('SIGTERM: exits 0 promptly with a client still connected, writing its partial line', async () => {
  const lw = await spawnLogwriter();
  const s = await connect(lw.port);
  s.on('error', () => {});
  s.write('seen\n');
  await waitFor(() => lw.lines().includes('seen'), 'the first line');
  s.write('half a line');
  await sleep(300);
  lw.proc.kill('SIGTERM');
  let guard: NodeJS.Timeout | undefined;
  const r = await Promise.race([lw.proc, new Promise<null>((res) => (guard = setTimeout(res, 10_000, null)))]);
  clearTimeout(guard);
  assert.ok(r !== null, 'exited after SIGTERM');
  assert.is(r?.exitCode, 0);
  assert.ok(lw.lines().includes('half a line'));
  s.destroy();
});

test.run();
