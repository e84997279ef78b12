// The HTTP workload: a small Node http server (keep-alive, a fixed 64-byte
// body), as a serverless container would run. Prints "port=N pid=N" on stdout
// once listening; exits on SIGTERM.
// Usage: node out/bench/http-server.js [PORT]
import { createServer } from 'node:http';

const body = Buffer.alloc(64, 'x');
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`port=${typeof a === 'object' && a ? a.port : 0} pid=${process.pid}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
