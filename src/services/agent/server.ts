// The agent's HTTP endpoints, for the kubelet's probes and Prometheus: GET /healthz (200 while the
// process serves), GET /readyz (200 once the informer delivered its first full list and orphaned
// tables were judged, 503 before), GET /metrics (the registry). Nothing else; no request body is read.

import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { listenOn, sendMetrics, type Listen } from '../../backends/gateway/telemetry.js';

export interface AgentServer {
  /** `http://host:port`, with the port actually bound. */
  url: string;
  close(): Promise<void>;
}

export async function serveAgent(at: Listen, registry: Registry, ready: () => boolean): Promise<AgentServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET') return void res.writeHead(405).end();
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (path === '/readyz') {
      const ok = ready();
      return void res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not synced yet\n');
    }
    if (path === '/metrics') return sendMetrics(registry, res);
    res.writeHead(404).end();
  });
  const { base, close } = await listenOn(server, at);
  return { url: base, close };
}
