// Helpers for the detection tests that run long-lived workloads (servers)
// under the real bin/instrument with the embedded default rules: start,
// wait until the port accepts, talk to it, stop it with SIGTERM, read alerts.
import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Options } from 'execa';
import { instrument, readAlerts, testEnv, tmp } from '../../helpers.js';
import type { FalcoAlert } from '../../../src/model/alert.js';

/** A TCP port free on 127.0.0.1 right now (the kernel picks it). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Resolves once 127.0.0.1:port accepts a connection; rejects if `exited` settles first or after timeoutMs. */
export async function waitForPort(port: number, exited: Promise<unknown>, timeoutMs = 30_000): Promise<void> {
  let done = false;
  const gone = exited.then(() => {
    if (!done) throw new Error(`the workload exited before port ${port} accepted`);
  });
  const end = Date.now() + timeoutMs;
  const attempt = async (): Promise<void> => {
    while (!done) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (ok) return;
      if (Date.now() > end) throw new Error(`port ${port} did not accept within ${timeoutMs} ms`);
      // refused: the server is not listening yet; try again on the next timer tick
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  try {
    await Promise.race([attempt(), gone]);
  } finally {
    done = true;
  }
}

/** GET http://127.0.0.1:port/path on a fresh connection; the status and body. */
export function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface Served {
  alerts: FalcoAlert[];
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/**
 * Runs argv under instrument (default rules, alerts to a file), waits until
 * `port` accepts, runs `talk`, then sends SIGTERM and waits for the exit.
 */
export async function serve(
  argv: string[],
  port: number,
  talk: () => Promise<void>,
  env: Record<string, string>,
  exec: Options = {},
): Promise<Served> {
  const alertsFile = join(tmp('alerts-'), 'alerts.jsonl');
  const child = instrument(argv, {
    env: testEnv({ SYSDIG_LOGGING: 'error', ...env, SYSDIG_EXTRA_ARGS: `--alerts-file ${alertsFile}` }),
    ...exec,
  });
  try {
    await waitForPort(port, child);
    await talk();
  } finally {
    child.kill('SIGTERM');
  }
  const r = await child;
  return { alerts: readAlerts(alertsFile), exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/**
 * A listener for reverse shells: accepts one connection, writes `script`
 * (shell commands) to it, and resolves with what the shell sent back once it
 * closes the connection.
 */
export async function shellCatcher(script: string): Promise<{ port: number; received: Promise<string>; close(): void }> {
  let server: Server;
  const received = new Promise<string>((resolve, reject) => {
    server = createServer((s: Socket) => {
      let got = '';
      s.setEncoding('utf8');
      s.on('data', (d) => (got += d));
      s.on('error', () => undefined);
      s.on('close', () => resolve(got));
      s.write(script);
    });
    server.on('error', reject);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server!.address() as { port: number }).port;
  return { port, received, close: () => server.close() };
}
