// Shared test helpers for the logging tests: a loopback line collector, a
// stderr stand-in, free ports and polling.
import net from 'node:net';
import { Writable } from 'node:stream';

const open: { close(): unknown }[] = [];
/** Remember something to close after the current test (see closeAll), so a failed test cannot hang the file. */
export function track<T extends { close(): unknown }>(x: T): T {
  open.push(x);
  return x;
}
export async function closeAll(): Promise<void> {
  for (const x of open.splice(0)) {
    try {
      await x.close();
    } catch {
      /* already closed */
    }
  }
}

export interface Collector {
  port: number;
  /** Complete lines received, in order, over all connections. */
  lines: string[];
  connections: number;
  sockets: net.Socket[];
  /** Start reading from every (current and future) paused socket. */
  resume(): void;
  close(): Promise<void>;
}

/** A TCP listener on 127.0.0.1:port (0: ephemeral) collecting lines. `paused`: never read until resume(). */
export async function collector(opts: { port?: number; paused?: boolean } = {}): Promise<Collector> {
  let paused = opts.paused === true;
  const c: Collector = {
    port: 0,
    lines: [],
    connections: 0,
    sockets: [],
    resume() {
      paused = false;
      for (const s of c.sockets) read(s);
    },
    close() {
      for (const s of c.sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
  const read = (s: net.Socket): void => {
    let partial = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      const parts = (partial + d).split('\n');
      partial = parts.pop() ?? '';
      c.lines.push(...parts);
    });
    s.resume();
  };
  const server = net.createServer({ pauseOnConnect: true }, (s) => {
    c.connections++;
    c.sockets.push(s);
    s.on('error', () => {});
    if (!paused) read(s);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  c.port = (server.address() as net.AddressInfo).port;
  let closed = false;
  const close = c.close;
  c.close = () => {
    if (closed) return Promise.resolve();
    closed = true;
    return close();
  };
  return track(c);
}

/** A port nothing listens on (bound then released). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A writable collecting what is written (stands in for process.stderr). */
export function capture(): Writable & { text(): string; lines(): string[] } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  }) as Writable & { text(): string; lines(): string[] };
  w.text = () => chunks.join('');
  w.lines = () => w.text().split('\n').filter((l) => l !== '');
  return w;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until cond() holds; throws with `what` after timeoutMs (a hang guard, not a performance check). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function parse(lines: string[]): Record<string, unknown>[] {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}
