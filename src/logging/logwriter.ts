// The sidecar's entrypoint (bin/logwriter): listens on localhost:32000 and
// copies the agents' log lines to stdout, so they land in the sidecar's log
// stream. Whole lines only (see lines.ts): a line is never cut or interleaved
// with another connection's bytes; a partial last line at disconnect gets a
// newline. stdout backpressure pauses every socket until 'drain'. It never
// exits on its own (listen failures are retried, errors are logged) and stops
// cleanly (exit 0) on SIGTERM/SIGINT. Its own diagnostics are JSON lines on
// stderr, never on stdout.
import net from 'node:net';
import { parseArgs } from 'node:util';
import { LineSplitter, DEFAULT_MAX_LINE_BYTES } from './lines.js';
import { createStderrLogger, DEFAULT_LOG_PORT } from './logger.js';
import { AGENT_VERSION } from '../util/version.js';

// The port the agent's log channel connects to (src/logging/logger.ts): one number.
export const DEFAULT_LOGWRITER_PORT = DEFAULT_LOG_PORT;
/** Loopback addresses we listen on; the first is required, the others are best effort. */
export const LOGWRITER_HOSTS: readonly string[] = ['127.0.0.1', '::1'];

export interface LogwriterOptions {
  /** 0: an ephemeral port (the same port is then used for every host). */
  port: number;
  hosts?: readonly string[];
  /** Where lines go. Default process.stdout. */
  out?: NodeJS.WritableStream;
  /** Own diagnostics. Default: JSON lines on process.stderr. */
  diag?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  maxLineBytes?: number;
}

export interface Logwriter {
  /** The port actually bound. */
  readonly port: number;
  /** "host:port" for every address listened on. */
  readonly addresses: readonly string[];
  /** Open agent connections. */
  connections(): number;
  /**
   * Stop: stop accepting, write every connection's partial last line, close
   * the connections, wait (at most timeoutMs) for stdout to drain.
   */
  close(timeoutMs?: number): Promise<void>;
}

let diagLogger: ReturnType<typeof createStderrLogger> | undefined;

/** The logwriter's own lines: the format of every program (src/logging lineFormat), on stderr. */
export function stderrDiag(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  try {
    diagLogger ??= createStderrLogger('logwriter');
    diagLogger[level](fields, msg);
  } catch {
    /* nowhere left to report */
  }
}

function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ port, host, ipv6Only: host.includes(':') }, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/** Start listening. Rejects when the first host cannot be bound (e.g. EADDRINUSE). */
export async function startLogwriter(opts: LogwriterOptions): Promise<Logwriter> {
  const out = (opts.out ?? process.stdout) as NodeJS.WritableStream & { writableLength?: number };
  const diag = opts.diag ?? stderrDiag;
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const hosts = opts.hosts ?? LOGWRITER_HOSTS;
  const sockets = new Map<net.Socket, LineSplitter>();
  let paused = false;
  let outBroken = false;
  let closing = false;

  out.on('error', (err: Error) => {
    if (!outBroken) diag('error', 'stdout failed; discarding lines from now on', { error: err.message });
    outBroken = true;
    resumeAll();
  });

  function resumeAll(): void {
    paused = false;
    for (const s of sockets.keys()) s.resume();
  }

  function emit(buf: Buffer | null): void {
    if (buf === null || outBroken) return;
    let ok = true;
    try {
      ok = out.write(buf);
    } catch (err) {
      outBroken = true;
      diag('error', 'stdout failed; discarding lines from now on', { error: (err as Error).message });
      return;
    }
    if (!ok && !paused) {
      paused = true;
      for (const s of sockets.keys()) s.pause();
      out.once('drain', resumeAll);
    }
  }

  function onConnection(s: net.Socket): void {
    if (closing) {
      s.destroy();
      return;
    }
    const splitter = new LineSplitter(maxLineBytes);
    sockets.set(s, splitter);
    s.on('error', () => {
      /* a reset agent connection: 'close' follows */
    });
    s.on('data', (chunk: Buffer) => emit(splitter.push(chunk)));
    s.once('close', () => {
      if (!sockets.has(s)) return;
      sockets.delete(s);
      emit(splitter.end());
    });
    if (!paused) s.resume();
  }

  const servers: net.Server[] = [];
  const addresses: string[] = [];
  let port = opts.port;
  for (const [i, host] of hosts.entries()) {
    const server = net.createServer({ pauseOnConnect: true }, onConnection);
    try {
      port = await listen(server, port, host);
    } catch (err) {
      server.close();
      if (i === 0) {
        for (const s of servers) s.close();
        throw err;
      }
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EADDRNOTAVAIL' && code !== 'EAFNOSUPPORT') {
        diag('warn', 'cannot listen', { host, port, error: (err as Error).message });
      }
      continue;
    }
    server.on('error', (err: Error) => diag('error', 'server error', { host, error: err.message }));
    servers.push(server);
    addresses.push(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
  }

  return {
    port,
    addresses,
    connections: () => sockets.size,
    async close(timeoutMs = 2000) {
      if (closing) return;
      closing = true;
      for (const server of servers) server.close();
      for (const [s, splitter] of sockets) {
        sockets.delete(s);
        s.destroy();
        emit(splitter.end());
      }
      if (outBroken || (out.writableLength ?? 0) === 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        const check = setInterval(() => {
          if (outBroken || (out.writableLength ?? 0) === 0) {
            clearTimeout(timer);
            clearInterval(check);
            resolve();
          }
        }, 10);
      });
    },
  };
}

const LOGWRITER_ARGS = {
  port: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/**
 * `--port N`, `--port=N`, else env LOGWRITER_PORT, else 32000. Problems are
 * warnings, never fatal: the sidecar must keep running.
 */
export function parseLogwriterArgs(argv: readonly string[], env: NodeJS.ProcessEnv): { port: number; warnings: string[] } {
  const warnings: string[] = [];
  // Not strict: an unknown argument is a warning, never fatal (the sidecar must keep running).
  const { values, tokens } = parseArgs({ args: [...argv], options: LOGWRITER_ARGS, strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    if (t.kind === 'positional' || (t.kind === 'option' && !(t.name in LOGWRITER_ARGS))) warnings.push(`ignoring argument ${JSON.stringify(argv[t.index])}`);
  }
  let raw = typeof values.port === 'string' ? values.port : undefined;
  let from = raw === undefined ? '' : '--port';
  if (raw === undefined && env.LOGWRITER_PORT !== undefined && env.LOGWRITER_PORT.trim() !== '') {
    raw = env.LOGWRITER_PORT;
    from = 'LOGWRITER_PORT';
  }
  if (raw === undefined) return { port: DEFAULT_LOGWRITER_PORT, warnings };
  const n = Number(raw.trim());
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) {
    warnings.push(`${from}: expected a port number 0-65535, got ${JSON.stringify(raw)}; using ${DEFAULT_LOGWRITER_PORT}`);
    return { port: DEFAULT_LOGWRITER_PORT, warnings };
  }
  return { port: n, warnings };
}

export const LOGWRITER_USAGE = `usage: logwriter [--port N]      (env LOGWRITER_PORT; default ${DEFAULT_LOGWRITER_PORT})
       logwriter --help | --version
Copies the log lines the agents send to localhost:PORT to stdout, whole lines only.
`;

/** bin/logwriter. Runs until SIGTERM/SIGINT, then exits 0; --help and --version print and exit 0 without listening. */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv): void {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(LOGWRITER_USAGE);
    return;
  }
  if (argv.includes('--version')) {
    process.stdout.write(`logwriter ${AGENT_VERSION}\n`);
    return;
  }
  const { port, warnings } = parseLogwriterArgs(argv, env);
  for (const w of warnings) stderrDiag('warn', w);
  process.on('uncaughtException', (err) => stderrDiag('error', 'uncaught exception', { error: String(err?.stack ?? err) }));
  process.on('unhandledRejection', (err) => stderrDiag('error', 'unhandled rejection', { error: String(err) }));

  let writer: Logwriter | null = null;
  let stopping = false;
  let retry: NodeJS.Timeout | null = null;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    if (retry) clearTimeout(retry);
    stderrDiag('info', 'stopping', { signal });
    const done = (): void => process.exit(0);
    // Hard bound, whatever happens.
    setTimeout(done, 3000).unref();
    (writer ? writer.close(2000) : Promise.resolve()).then(done, done);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const start = (): void => {
    startLogwriter({ port }).then(
      (w) => {
        if (stopping) {
          void w.close(0);
          return;
        }
        writer = w;
        stderrDiag('info', 'listening', { port: w.port, addresses: w.addresses });
      },
      (err: Error) => {
        if (stopping) return;
        stderrDiag('error', 'cannot listen; retrying in 1 s', { port, error: err.message });
        retry = setTimeout(start, 1000);
      },
    );
  };
  start();
}
