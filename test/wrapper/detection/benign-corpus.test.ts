// A benign corpus: container entrypoints as people write them (npm, npx,
// yarn, node --watch, a Python pre-fork server, Java shelling out, a
// docker-entrypoint.sh that execs nginx, busybox httpd with CGI, cron-like
// jobs, health checks), each run under the real bin/instrument with the
// embedded default rules (no --rules-file). None may raise an alert.
// The attack side of the same rules is test/wrapper/detection/default-rules.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { ROOT, runForAlerts, tmp } from '../../helpers.js';
import { useEcsMetadata } from '../../fixtures/ecs-metadata.js';
import { freePort, httpGet, serve } from './workloads.js';
import type { FalcoAlert } from '../../../src/model/alert.js';

const PY = '/usr/bin/python3';
const dir = tmp('corpus-');
chmodSync(dir, 0o755); // nginx workers run as nobody
const ecs = useEcsMetadata(test, () => rmSync(dir, { recursive: true, force: true }));
// npm's update check would reach the registry; images usually turn it off too
const env = () => ({ ECS_CONTAINER_METADATA_URI_V4: ecs.uri, npm_config_update_notifier: 'false' });

function none(alerts: FalcoAlert[], what: string): void {
  assert.equal(alerts.map((a) => `${a.rule}: ${a.output}`), [], `${what}: no alert`);
}

async function quiet(what: string, argv: string[], opts: { cwd?: string; input?: string } = {}) {
  const { r, alerts } = await runForAlerts(argv, '', env(), opts);
  assert.is(r.exitCode, 0, `${what} exited ${r.exitCode}: ${r.stderr}`);
  none(alerts, what);
  return r;
}

/** A node HTTP server that prints `listening` once it accepts; SIGTERM closes it. */
const NODE_SERVER = `
const http = require('http');
const port = Number(process.env.PORT);
const server = http.createServer((req, res) => res.end('ok ' + req.url + '\\n'));
server.listen(port, '127.0.0.1', () => console.log('listening', port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** An npm project: start runs the server, build and migrate run node, a local bin for npx. */
function nodeApp(name: string): string {
  const app = join(dir, name);
  mkdirSync(join(app, 'node_modules', '.bin'), { recursive: true });
  writeFileSync(join(app, 'server.js'), NODE_SERVER);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name,
      version: '1.0.0',
      private: true,
      scripts: {
        start: 'node server.js',
        build: 'node -e "require(\'fs\').mkdirSync(\'dist\', { recursive: true })" && node -e "console.log(\'built\')"',
        migrate: 'node -e "console.log(\'migrated\')"',
      },
    }),
  );
  // a local bin, as a dependency would install it
  const bin = join(app, 'node_modules', 'hello-tool.js');
  writeFileSync(bin, '#!/usr/bin/env node\nconsole.log("hello from a local bin", process.argv.slice(2).join(" "));\n');
  chmodSync(bin, 0o755);
  symlinkSync('../hello-tool.js', join(app, 'node_modules', '.bin', 'hello-tool'));
  return app;
}

test('npm start (a start script that runs a node server), then a request', async () => {
  const app = nodeApp('npm-start');
  const port = await freePort();
  const s = await serve(['npm', 'start'], port, async () => {
    assert.is((await httpGet(port, '/health')).status, 200);
  }, { ...env(), PORT: String(port) }, { cwd: app });
  assert.match(s.stdout, /listening/);
  none(s.alerts, 'npm start');
});

test('npm run build, npm run migrate, npx of a local bin', async () => {
  const app = nodeApp('npm-run');
  await quiet('npm run build', ['npm', 'run', 'build'], { cwd: app });
  await quiet('npm run migrate', ['npm', 'run', 'migrate'], { cwd: app });
  const r = await quiet('npx hello-tool', ['npx', '--no-install', 'hello-tool', 'world'], { cwd: app });
  assert.match(r.stdout, /hello from a local bin world/);
});

test('yarn start and yarn run (yarn 1 from the npm registry, a devDependency)', async () => {
  const app = nodeApp('yarn');
  const yarn = join(ROOT, 'node_modules', '.bin', 'yarn');
  const r = await quiet('yarn run build', [yarn, '--offline', '--silent', 'run', 'build'], { cwd: app });
  assert.match(r.stdout, /built/);
  const port = await freePort();
  const s = await serve([yarn, '--offline', 'start'], port, async () => {
    assert.is((await httpGet(port, '/')).status, 200);
  }, { ...env(), PORT: String(port) }, { cwd: app });
  none(s.alerts, 'yarn start');
});

test('node --watch server.js, stopped by SIGTERM', async () => {
  const app = nodeApp('watch');
  const port = await freePort();
  const s = await serve([process.execPath, '--watch', 'server.js'], port, async () => {
    assert.is((await httpGet(port, '/')).status, 200);
  }, { ...env(), PORT: String(port) }, { cwd: app });
  none(s.alerts, 'node --watch');
});

test('python: http.server with multiprocessing workers, pip and shell=True subprocesses', async () => {
  const app = join(dir, 'py');
  mkdirSync(app, { recursive: true });
  writeFileSync(
    join(app, 'server.py'),
    `import http.server, multiprocessing, os, signal, socket, subprocess, sys

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        # an app that shells out per request (shell=True runs /bin/sh -c)
        out = subprocess.run("uname -s | tr A-Z a-z", shell=True, capture_output=True, check=True).stdout
        body = b"worker %d %s" % (os.getpid(), out)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

def worker(sock):
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    srv = http.server.HTTPServer(sock.getsockname(), Handler, bind_and_activate=False)
    srv.socket = sock
    srv.serve_forever()

if __name__ == "__main__":
    # what entrypoints run before the server: pip, a shell one-liner
    subprocess.run([sys.executable, "-m", "pip", "--version"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run("test -d /tmp && echo ready > /dev/null", shell=True, check=True)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", int(sys.argv[1])))
    sock.listen(64)
    workers = [multiprocessing.Process(target=worker, args=(sock,)) for _ in range(2)]
    for w in workers:
        w.start()
    signal.signal(signal.SIGTERM, lambda *a: [w.terminate() for w in workers])
    print("listening", flush=True)
    for w in workers:
        w.join()
`,
  );
  const port = await freePort();
  const s = await serve([PY, join(app, 'server.py'), String(port)], port, async () => {
    for (let i = 0; i < 3; i++) {
      const r = await httpGet(port, '/');
      assert.is(r.status, 200);
      assert.match(r.body, /^worker \d+ linux/);
    }
  }, env());
  none(s.alerts, 'python server');
});

test('java: a service that runs ProcessBuilder("sh", "-c", ...) per request', async () => {
  const src = join(dir, 'java');
  mkdirSync(src, { recursive: true });
  writeFileSync(
    join(src, 'App.java'),
    `import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;

public class App {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.createContext("/", ex -> {
      Process p = new ProcessBuilder("sh", "-c", "uname -s; df -k / | tail -n 1").redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      try { p.waitFor(); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
      ex.sendResponseHeaders(200, out.length);
      try (OutputStream os = ex.getResponseBody()) { os.write(out); }
    });
    server.start();
    System.out.println("listening " + port);
  }
}
`,
  );
  // compiled outside the agent: the image would ship the class
  await execa('javac', ['-d', src, join(src, 'App.java')]);
  const port = await freePort();
  const s = await serve(['java', '-cp', src, 'App', String(port)], port, async () => {
    for (let i = 0; i < 2; i++) {
      const r = await httpGet(port, '/');
      assert.is(r.status, 200);
      assert.match(r.body, /Linux/);
    }
  }, env());
  none(s.alerts, 'java ProcessBuilder');
});

test('docker-entrypoint.sh (set -e, envsubst, sed, grep -r password as a config check, exec "$@") running nginx', async () => {
  const base = join(dir, 'nginx');
  const conf = join(base, 'conf');
  const run = join(base, 'run');
  const www = join(base, 'www');
  for (const d of [conf, run, www]) mkdirSync(d, { recursive: true });
  writeFileSync(join(www, 'index.html'), 'hello from nginx\n');
  writeFileSync(join(conf, 'app.env'), 'db_user=app\ndb_password_file=/run/secrets/db\n');
  writeFileSync(
    join(conf, 'nginx.conf.template'),
    `worker_processes 2;
pid @RUN_DIR@/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
  access_log @RUN_DIR@/access.log;
  client_body_temp_path @RUN_DIR@/body;
  server {
    listen 127.0.0.1:\${APP_PORT};
    root \${APP_ROOT};
    location = /health { return 200 "ok\\n"; }
  }
}
`,
  );
  const entrypoint = join(base, 'docker-entrypoint.sh');
  writeFileSync(
    entrypoint,
    `#!/bin/sh
set -e
: "\${APP_PORT:?APP_PORT is required}"
# refuse plain-text passwords in the configuration; only *_file references
if grep -r password "$CONF_DIR" | grep -v password_file= >&2; then
  echo "docker-entrypoint: plain-text password in $CONF_DIR" >&2
  exit 1
fi
envsubst '\${APP_PORT} \${APP_ROOT}' < "$CONF_DIR/nginx.conf.template" > "$RUN_DIR/nginx.conf"
sed -i "s|@RUN_DIR@|$RUN_DIR|g" "$RUN_DIR/nginx.conf"
exec "$@"
`,
  );
  chmodSync(entrypoint, 0o755);
  const port = await freePort();
  const s = await serve(
    [entrypoint, 'nginx', '-e', 'stderr', '-c', join(run, 'nginx.conf'), '-g', 'daemon off;'],
    port,
    async () => {
      assert.is((await httpGet(port, '/health')).body, 'ok\n');
      assert.is((await httpGet(port, '/index.html')).body, 'hello from nginx\n');
    },
    { ...env(), APP_PORT: String(port), APP_ROOT: www, CONF_DIR: conf, RUN_DIR: run },
  );
  assert.match(readFileSync(join(run, 'access.log'), 'utf8'), /GET \/index.html/);
  none(s.alerts, 'docker-entrypoint.sh + nginx');
});

test('busybox httpd -f: static files and a CGI script (the per-connection child dup2s the socket onto 0 and 1)', async () => {
  const www = join(dir, 'busybox-www');
  mkdirSync(join(www, 'cgi-bin'), { recursive: true });
  writeFileSync(join(www, 'index.html'), 'hello from busybox\n');
  const cgi = join(www, 'cgi-bin', 'status');
  writeFileSync(cgi, '#!/bin/sh\nprintf \'Content-Type: text/plain\\r\\n\\r\\n\'\necho "status ok $REQUEST_METHOD"\n');
  chmodSync(cgi, 0o755);
  // an Alpine-style entrypoint: busybox sh checks the site for a leaked password, then execs httpd
  const entrypoint = join(dir, 'busybox-entrypoint.sh');
  writeFileSync(entrypoint, '#!/bin/busybox sh\nset -e\nif grep -rqi password "$WWW"; then echo "password in $WWW" >&2; exit 1; fi\nexec "$@"\n');
  chmodSync(entrypoint, 0o755);
  const port = await freePort();
  const argv = [entrypoint, 'busybox', 'httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', www];
  const s = await serve(argv, port, async () => {
    assert.is((await httpGet(port, '/index.html')).body, 'hello from busybox\n');
    assert.is((await httpGet(port, '/cgi-bin/status')).body, 'status ok GET\n');
  }, { ...env(), WWW: www });
  none(s.alerts, 'busybox httpd');
});

test('cron-like periodic sh -c jobs: a shell loop and a node scheduler', async () => {
  const work = join(dir, 'cron');
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'old.tmp'), 'x');
  const job = `find ${work} -name '*.tmp' -mmin +60 -delete; date -u >> ${work}/cron.log; du -sk ${work} > /dev/null`;
  await quiet('shell loop', ['sh', '-c', `i=0; while [ $i -lt 3 ]; do sh -c "${job}"; i=$((i+1)); done`]);
  assert.is(readFileSync(join(work, 'cron.log'), 'utf8').trim().split('\n').length, 3);
  // node-cron and friends run each job with child_process.exec (/bin/sh -c)
  const scheduler = `
const { exec } = require('child_process');
let n = 0;
const tick = () => exec(${JSON.stringify(job)}, (err) => {
  if (err) throw err;
  if (++n < 3) setImmediate(tick);
});
tick();`;
  await quiet('node scheduler', [process.execPath, '-e', scheduler]);
  assert.is(readFileSync(join(work, 'cron.log'), 'utf8').trim().split('\n').length, 6);
});

test('health checks with curl and wget against localhost', async () => {
  const server = createServer((_req, res) => res.end('healthy\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const r = await quiet('curl/wget health check', [
      'sh',
      '-c',
      `curl -fsS http://127.0.0.1:${port}/health && wget -qO- http://127.0.0.1:${port}/health || exit 1`,
    ]);
    assert.is(r.stdout, 'healthy\nhealthy');
  } finally {
    server.close();
  }
});

test.run();
