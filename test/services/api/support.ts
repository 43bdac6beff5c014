// The what-if service under test: the app built by its factory, the embedded examples loaded as
// `examples`, listening on a loopback port of its own; requests go through real HTTP (fetch).
// Also a policy whose analysis takes long (for the time limit), made here, deterministic.
import { buildApp, type AppOptions, type App } from '../../../src/services/api/app.js';

/** Packets of the examples' policies in each form the service takes (text, JSON, IPv6, ICMP, local, established). */
export const PACKETS = [
  'tcp 10.112.0.5:40000 -> 10.42.1.15:80 iif liqo-tunnel oif eth0',
  'udp 10.113.0.9:5000 -> 10.42.1.15:53 iif liqo-tunnel',
  'tcp 10.113.0.9:5000 -> 10.42.1.41:443 iif liqo-tunnel oif eth0 ct established',
  'icmp 10.42.1.15 -> 10.112.0.5 type 8 code 0 oif liqo-tunnel',
  '{"saddr":"fd00::1","daddr":"fd00::2","l4proto":"tcp","dport":22}',
  'tcp 10.112.0.5:1 -> 10.42.2.7:22 iif liqo-tunnel local',
];

export interface Served extends App {
  url: string;
  /** fetch relative to the server; a JSON body is sent as JSON. */
  req: (path: string, init?: { method?: string; json?: unknown; body?: string; type?: string; headers?: Record<string, string> }) => Promise<{ status: number; headers: Headers; text: string; json: any }>;
  close: () => Promise<void>;
}

export async function serve(opts: AppOptions = {}): Promise<Served> {
  const built = await buildApp(opts);
  await built.services.store.load('examples', []);
  await built.app.listen({ host: '127.0.0.1', port: 0 });
  const a = built.app.server.address();
  const url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  const req: Served['req'] = async (path, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    let body = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] = 'application/json';
    } else if (init.type) headers['content-type'] = init.type;
    const r = await fetch(url + path, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
    const text = await r.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: r.status, headers: r.headers, text, json };
  };
  return { ...built, url, req, close: () => built.app.close() };
}

/** An nft JSON ruleset of `n` overlapping rules (prefixes and port ranges from a fixed sequence). */
export function heavyPolicy(n: number): string {
  const family = 'ip';
  const table = 't';
  const out: unknown[] = [{ table: { family, name: table } }, { chain: { family, table, name: 'c', type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } }];
  let x = 12345;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
  const ip = () => `10.${next() % 256}.${next() % 256}.0`;
  for (let i = 0; i < n; i++) {
    const lo = next() % 60000;
    out.push({
      rule: {
        family, table, chain: 'c',
        expr: [
          { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: ip(), len: 8 + (next() % 17) } } } },
          { match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: { prefix: { addr: ip(), len: 8 + (next() % 17) } } } },
          { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: { range: [lo, lo + (next() % 5000)] } } },
          next() % 2 ? { accept: null } : { drop: null },
        ],
      },
    });
  }
  return JSON.stringify({ nftables: out });
}
