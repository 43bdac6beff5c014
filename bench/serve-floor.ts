// What this machine allows, for `npm run bench:serve`, each in a process of its own:
//   server PORT — the floor of a node HTTP server: node:http alone (no fastify, no nftlens) answering
//     every request with /healthz's 15 bytes once its body is read; prints "listening on URL".
//   stalls MS — how long the core it is pinned to is taken away: a busy loop of MS ms reading the
//     clock, where a gap over 1 ms is a time another process, or the hypervisor, ran instead; prints
//     one JSON line: those gaps, the time they took, the longest gap.
// Usage: serve-floor.ts server PORT | serve-floor.ts stalls MS

import { createServer } from 'node:http';

const [mode, arg] = process.argv.slice(2);
if (mode === 'server') {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end('{"status":"ok"}');
    });
  });
  server.keepAliveTimeout = 72_000;
  server.listen(Number(arg ?? 0), '127.0.0.1', () => {
    const a = server.address();
    process.stdout.write(`listening on http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0} \n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
} else {
  const ms = Number(arg ?? 1000);
  const start = performance.now();
  let prev = start;
  let over1 = 0;
  let lost1 = 0;
  let longest = 0;
  for (let t = start; t - start < ms; t = performance.now()) {
    const gap = t - prev;
    if (gap > 1) {
      over1++;
      lost1 += gap;
    }
    if (gap > longest) longest = gap;
    prev = t;
  }
  process.stdout.write(JSON.stringify({ ms, over1, lost1, longest }) + '\n');
}
