import { loadConfig } from '../../src/config/index.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createLogger, parseLogLevel } from '../../src/logging/index.js';
import { capture, closeAll, collector, freePort, parse, sleep, track, waitFor } from './helpers.js';

const FAST = { reconnectMinMs: 20, reconnectMaxMs: 100 };

test.after.each(closeAll);

test('parseLogLevel maps SYSDIG_LOGGING values', () => {
  assert.equal(parseLogLevel('warning'), { level: 'warn', startup: true, known: true });
  assert.equal(parseLogLevel(' DEBUG '), { level: 'debug', startup: true, known: true });
  assert.equal(parseLogLevel('critical'), { level: 'critical', startup: true, known: true });
  assert.equal(parseLogLevel('silent'), { level: 'silent', startup: false, known: true });
  for (const raw of [undefined, '', 'verbose', 'constructor', '__proto__']) {
    assert.equal(parseLogLevel(raw), { level: 'error', startup: true, known: false }, String(raw));
  }
});

test('lines reach a TCP listener on loopback, one JSON object per line, with bindings', async () => {
  const srv = await collector();
  const err = capture();
  const log = track(createLogger({ level: 'info', name: 'instrument', host: '127.0.0.1', port: srv.port, stderr: err }));
  log.info({ pid2: 7 }, 'first');
  log.child({ component: 'tracer' }).warn('second');
  log.critical('third');
  await waitFor(() => srv.lines.length >= 3, 'three lines at the listener');
  const [a, b, c] = parse(srv.lines);
  assert.is(a?.msg, 'first');
  assert.is(a?.level, 'info');
  assert.is(a?.name, 'instrument');
  assert.is(a?.pid2, 7);
  assert.type(a?.time, 'string');
  assert.is(b?.component, 'tracer');
  assert.is(b?.level, 'warn');
  assert.is(c?.level, 'critical');
  assert.is(err.text(), '');
  assert.ok(log.stats().connected);
  assert.is(log.stats().dropped, 0);
  log.close();
  await srv.close();
});

test('nothing listening: lines go to stderr', async () => {
  const port = await freePort();
  const err = capture();
  const log = track(createLogger({ level: 'info', port, stderr: err, ...FAST }));
  log.info('to stderr');
  log.error({ code: 3 }, 'an error');
  await log.flush(2000);
  const lines = parse(err.lines());
  assert.equal(
    lines.map((l) => [l.level, l.msg]),
    [
      ['info', 'to stderr'],
      ['error', 'an error'],
    ],
  );
  assert.is(log.stats().connected, false);
  assert.is(log.stats().lines, 2);
  log.close();
});

test('a listener that appears later takes over from stderr', async () => {
  const port = await freePort();
  const err = capture();
  const log = track(createLogger({ level: 'info', port, stderr: err, ...FAST }));
  log.info('before');
  await waitFor(() => err.text().includes('before'), 'the first line on stderr');
  const srv = await collector({ port });
  await waitFor(() => log.stats().connected, 'the reconnect');
  log.info('after');
  await waitFor(() => srv.lines.length >= 1, 'a line at the listener');
  assert.is(parse(srv.lines)[0]?.msg, 'after');
  assert.not.ok(err.text().includes('after'));
  log.close();
  await srv.close();
});

test('a broken connection: lines go to stderr until the listener is back, none lost or doubled', async () => {
  const first = await collector();
  const port = first.port;
  const err = capture();
  const log = track(createLogger({ level: 'info', port, stderr: err, ...FAST }));
  log.info('one');
  await waitFor(() => first.lines.length === 1, 'the first line');
  await first.close();
  await waitFor(() => !log.stats().connected, 'the disconnect');
  log.info('two');
  await waitFor(() => err.text().includes('two'), 'the fallback to stderr');
  const second = await collector({ port });
  await waitFor(() => log.stats().connected, 'the reconnect');
  log.info('three');
  await waitFor(() => second.lines.length === 1, 'the line after the reconnect');
  const msgs = (lines: string[]): unknown[] => parse(lines).map((l) => l.msg);
  assert.equal(msgs(first.lines), ['one']);
  assert.equal(msgs(err.lines()), ['two']);
  assert.equal(msgs(second.lines), ['three']);
});

test('SYSDIG_LOG_HOST and SYSDIG_LOG_PORT (read by the configuration, as the agent does) override the default address', async () => {
  const srv = await collector();
  const { config } = loadConfig({ SYSDIG_LOG_HOST: '127.0.0.1', SYSDIG_LOG_PORT: String(srv.port) });
  assert.is(config.logPort, srv.port);
  const log = track(createLogger({ level: 'info', stderr: capture(), host: config.logHost, port: config.logPort }));
  log.info('via env');
  await waitFor(() => srv.lines.length === 1, 'the line');
  assert.is(parse(srv.lines)[0]?.msg, 'via env');
});

test('a stalled listener: memory stays bounded, whole lines dropped and counted, then reported', async () => {
  const srv = await collector({ paused: true });
  const err = capture();
  const bound = 64 * 1024;
  const log = track(createLogger({ level: 'info', port: srv.port, stderr: err, bufferBytes: bound, ...FAST }));
  await waitFor(() => log.stats().connected, 'the connection');
  const pad = 'x'.repeat(1000);
  let sent = 0;
  let maxBuffered = 0;
  // Keep writing until the kernel buffers are full and the logger drops.
  while (log.stats().dropped === 0 && sent < 200_000) {
    for (let i = 0; i < 500; i++) log.info({ seq: sent++, pad });
    maxBuffered = Math.max(maxBuffered, log.stats().bufferedBytes);
    await new Promise((r) => setImmediate(r));
  }
  for (let i = 0; i < 2000; i++) log.info({ seq: sent++, pad });
  maxBuffered = Math.max(maxBuffered, log.stats().bufferedBytes);
  const dropped = log.stats().dropped;
  assert.ok(dropped > 0, 'lines were dropped');
  assert.ok(maxBuffered <= bound, `buffered ${maxBuffered} <= ${bound}`);
  srv.resume();
  await waitFor(() => srv.lines.some((l) => l.includes('dropped')), 'the drop report');
  await log.flush(5000);
  await waitFor(() => srv.lines.length === sent - dropped + 1, 'every kept line');
  const got = parse(srv.lines); // throws if any line was cut
  const reports = got.filter((l) => typeof l.dropped === 'number');
  assert.is(reports.length, 1);
  assert.is(reports[0]?.dropped, dropped);
  assert.is(reports[0]?.msg, `dropped ${dropped} log lines`);
  const seqs = got.filter((l) => typeof l.seq === 'number').map((l) => l.seq as number);
  assert.is(seqs.length, sent - dropped);
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, 'kept lines stay in order');
  assert.is(err.text(), '');
  log.close();
  await srv.close();
});

test('levels filter; critical sits between error and fatal', async () => {
  const port = await freePort();
  const all = ['trace', 'debug', 'info', 'warn', 'error', 'critical', 'fatal'] as const;
  const expect: Record<string, string[]> = {
    warning: ['warn', 'error', 'critical', 'fatal'],
    critical: ['critical', 'fatal'],
    error: ['error', 'critical', 'fatal'],
    fatal: ['fatal'],
    trace: [...all],
  };
  for (const [raw, levels] of Object.entries(expect)) {
    const err = capture();
    const log = track(createLogger({ level: raw, port, stderr: err, ...FAST }));
    for (const l of all) log[l](`at ${l}`);
    await log.flush(2000);
    assert.equal(
      parse(err.lines()).map((l) => l.level),
      levels,
      raw,
    );
    for (const l of all) assert.is(log.isLevelEnabled(l), levels.includes(l), `${raw} ${l}`);
    log.close();
  }
});

test('silent prints nothing and connects nowhere', async () => {
  const srv = await collector();
  const err = capture();
  const log = track(createLogger({ level: 'silent', port: srv.port, stderr: err }));
  for (const l of ['trace', 'debug', 'info', 'warn', 'error', 'critical', 'fatal', 'startup'] as const) log[l]('x');
  await log.flush(200);
  await sleep(100);
  assert.is(srv.connections, 0);
  assert.is(err.text(), '');
  assert.is(log.isLevelEnabled('startup'), false);
  assert.is(log.isLevelEnabled('fatal'), false);
  await srv.close();
});

test('unknown or unset SYSDIG_LOGGING: start-up lines (and errors) only', async () => {
  const port = await freePort();
  for (const raw of ['verbose', undefined]) {
    const err = capture();
    const log = track(createLogger({ level: raw, port, stderr: err, ...FAST }));
    log.startup({ version: '1' }, 'agent starting');
    log.info('info line');
    log.warn('warn line');
    log.debug('debug line');
    log.child({ component: 'tracer' }).startup('tracer ready');
    log.error('error line');
    await log.flush(2000);
    assert.equal(
      parse(err.lines()).map((l) => l.msg),
      ['agent starting', 'tracer ready', 'error line'],
      String(raw),
    );
    assert.ok(log.isLevelEnabled('startup'));
    assert.not.ok(log.isLevelEnabled('info'));
    log.close();
  }
});

test('startup lines print at every level but silent', async () => {
  const port = await freePort();
  const err = capture();
  const log = track(createLogger({ level: 'fatal', port, stderr: err, ...FAST }));
  log.startup('hello');
  log.error('hidden');
  await log.flush(2000);
  assert.equal(parse(err.lines()).map((l) => l.msg), ['hello']);
  log.close();
});

test('logging never throws', async () => {
  const port = await freePort();
  const err = capture();
  const log = track(createLogger({ level: 'info', port, stderr: err, ...FAST }));
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const hostile = {
    get boom(): never {
      throw new Error('getter');
    },
  };
  log.info(circular, 'circular');
  log.info(hostile, 'hostile');
  log.error(new Error('an error object'));
  log.close();
  log.info('after close');
  assert.ok(true);
});

const here = fileURLToPath(new URL('.', import.meta.url));
const script = `
  const { createLogger } = await import(process.argv[1]);
  const log = createLogger({ level: 'info', port: Number(process.argv[2]) });
  for (let i = 0; i < 20000; i++) log.info({ i, pad: 'y'.repeat(200) }, 'line');
  log.startup('done');
`;

test('the logger never keeps a process alive (nothing listening, stalled listener)', async () => {
  const mod = new URL('../../src/logging/index.js', `file://${here}`).pathname;
  const port = await freePort();
  const r1 = await execa(process.execPath, ['--input-type=module', '-e', script, mod, String(port)], {
    timeout: 20_000,
    reject: false,
  });
  assert.is(r1.exitCode, 0, r1.stderr.slice(-500));
  assert.is(r1.stdout, '', 'nothing on stdout');
  const srv = await collector({ paused: true });
  const r2 = await execa(process.execPath, ['--input-type=module', '-e', script, mod, String(srv.port)], {
    timeout: 20_000,
    reject: false,
  });
  assert.is(r2.exitCode, 0, r2.stderr.slice(-500));
  assert.is(r2.stdout, '');
  await srv.close();
});

test.run();
