// Conventions every program keeps: --version and --help (that do nothing
// else: logwriter --help must not start listening), the orchestrator's port
// from SYSDIG_ORCHESTRATOR_PORT as the stack template sets it, and one log
// line format across the orchestrator, the logwriter and the agent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOrchestratorConfig } from '../../src/orchestrator/config.js';
import { createLogger } from '../../src/logging/logger.js';
import { Writable } from 'node:stream';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

function bin(name: string, args: string[]) {
  // A program that started its service instead would not exit: the timeout makes that a failure.
  const r = spawnSync(process.execPath, [join(root, 'bin', name), ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, LOGWRITER_PORT: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const name of ['agentctl', 'orchestrator', 'logwriter']) {
  test(`${name} --version and --help: print, exit 0, start nothing`, () => {
    const v = bin(name, ['--version']);
    assert.is(v.code, 0, v.stderr);
    assert.is(v.stdout, `${name} ${version}\n`);
    const h = bin(name, ['--help']);
    assert.is(h.code, 0, h.stderr);
    assert.match(h.stdout, new RegExp(`^usage: ${name}`));
    assert.match(h.stdout, /--version/);
    assert.not.match(h.stderr, /listening/);
  });
}

test('the orchestrator takes its port from SYSDIG_ORCHESTRATOR_PORT (then ORCHESTRATOR_PORT; --port wins)', () => {
  const port = (argv: string[], env: Record<string, string>) => {
    // On loopback: a plain listener elsewhere needs TLS settings this test is not about.
    const c = parseOrchestratorConfig(['--host', '127.0.0.1', ...argv], { SYSDIG_ACCESS_KEY: 'k', ...env });
    return typeof c === 'string' ? c : c.port;
  };
  assert.is(port([], { SYSDIG_ORCHESTRATOR_PORT: '7001' }), 7001);
  assert.is(port([], { SYSDIG_ORCHESTRATOR_PORT: '7001', ORCHESTRATOR_PORT: '7002' }), 7001);
  assert.is(port([], { ORCHESTRATOR_PORT: '7002' }), 7002);
  assert.is(port(['--port', '7003'], { SYSDIG_ORCHESTRATOR_PORT: '7001' }), 7003);
  assert.is(port([], {}), 6667);
  assert.match(String(port([], { SYSDIG_ORCHESTRATOR_PORT: '99999' })), /expected an integer in \[0, 65535\]/);
});

test('a stderr logger in the shared format can redact secrets', () => {
  const script = `import { createStderrLogger } from ${JSON.stringify(join(root, 'out', 'src', 'logging', 'logger.js'))};
createStderrLogger('orchestrator', 'info', { redact: ['accessKey', 'hello.accessKey'] }).info({ accessKey: 'K1', hello: { accessKey: 'K2', agentId: 'a' } }, 'refused');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.is(r.status, 0, r.stderr);
  const line = JSON.parse(r.stderr) as Record<string, unknown>;
  assert.is(line['level'], 'info');
  assert.is(line['accessKey'], '[redacted]');
  assert.equal(line['hello'], { accessKey: '[redacted]', agentId: 'a' });
  assert.not.match(r.stderr, /K1|K2/);
});

test('the orchestrator refuses an unknown log level with a clear message instead of a logger crash', () => {
  const c = (level: string) => parseOrchestratorConfig(['--host', '127.0.0.1', '--log-level', level], { SYSDIG_ACCESS_KEY: 'k' });
  assert.match(String(c('loud')), /--log-level: expected one of fatal, error, warn\(ing\), info, debug, trace, silent, got "loud"/);
  const w = c('WARNING');
  assert.is(typeof w === 'string' ? w : w.logLevel, 'warn');
  const r = bin('orchestrator', ['--host', '127.0.0.1', '--access-key', 'k', '--log-level', 'loud']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /--log-level: expected one of/);
});

/** The first JSON line a program writes on stderr, waiting for it (not for a time). */
function firstLine(name: string, args: string[], env: Record<string, string>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(root, 'bin', name), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.setEncoding('utf8');
    p.stderr.on('data', (d: string) => {
      err += d;
      const nl = err.indexOf('\n');
      if (nl < 0) return;
      p.kill('SIGTERM');
      try {
        resolve(JSON.parse(err.slice(0, nl)) as Record<string, unknown>);
      } catch (e) {
        reject(new Error(`${name}: not a JSON line: ${err.slice(0, nl)} (${(e as Error).message})`));
      }
    });
    p.on('exit', (code) => {
      if (!err.includes('\n')) reject(new Error(`${name} exited (${code}) before any log line`));
    });
  });
}

test('one log format: orchestrator, logwriter and agent lines have the same shape ("level":"info", ISO time, pid, name)', async () => {
  const orch = await firstLine('orchestrator', ['--port', '0', '--host', '127.0.0.1', '--no-alerts-stdout'], { SYSDIG_ACCESS_KEY: 'k' });
  const lw = await firstLine('logwriter', ['--port', '0'], {});
  const lines: string[] = [];
  const sink = new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) });
  // The agent's logger, with nothing listening on its port: it falls back to the given stderr stream.
  const agent = createLogger({ level: 'info', name: 'agent', port: 1, stderr: sink, connectTimeoutMs: 200 });
  agent.info({ k: 1 }, 'hello');
  await agent.flush(2000);
  agent.close();
  const a = JSON.parse(lines.join('').split('\n').find((l) => l.includes('"hello"'))!) as Record<string, unknown>;
  for (const [who, line] of [['orchestrator', orch], ['logwriter', lw], ['agent', a]] as const) {
    assert.type(line['level'], 'string', `${who}: level is a name`);
    assert.ok(['info', 'warn', 'error'].includes(line['level'] as string), `${who}: ${String(line['level'])}`);
    assert.match(String(line['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `${who}: ISO time`);
    assert.type(line['pid'], 'number', `${who}: pid`);
    assert.is(line['name'], who);
    assert.type(line['msg'], 'string');
    assert.equal(Object.keys(line).slice(0, 4), ['level', 'time', 'pid', 'name'], `${who}: the same first keys`);
  }
});

test.run();
