// Operations through real HTTP: /healthz, /readyz (503 once closing), /metrics (requests and
// latency by route and status, policies loaded, packets evaluated); requests logged only at debug; no CORS;
// an internal failure answered 500 with an id and no stack, the same id in the log; not ready once closed.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type Served } from './support.js';

describe('operations', () => {
  let s: Served;
  const log: string[] = [];
  beforeAll(async () => {
    const stream = new Writable({ write: (chunk, _e, done) => void (log.push(String(chunk)), done()) });
    s = await serve({ logger: { level: 'info', stream } });
  });
  afterAll(() => s.close());

  it('is alive and ready', async () => {
    expect(await s.req('/healthz')).toMatchObject({ status: 200, json: { status: 'ok' } });
    expect(await s.req('/readyz')).toMatchObject({ status: 200, json: { status: 'ready', policies: 1 } });
  });

  it('counts requests by route and status, policies loaded and packets evaluated', async () => {
    await s.req('/v1/policies/examples/evaluate', { json: { packets: ['tcp 10.0.0.1:1 -> 10.0.0.2:2', 'udp 10.0.0.1:1 -> 10.0.0.2:2', 'tcp 10.0.0.1:1 -> 10.0.0.3:2'] } });
    await s.req('/v1/policies/examples/evaluate', { json: { packet: 'tcp 10.0.0.1:1 -> 10.0.0.2:2' } });
    await s.req('/v1/policies/nope');
    const m = await s.req('/metrics');
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toContain('text/plain');
    expect(m.text).toMatch(/^nftlens_packets_evaluated_total 4$/m);
    expect(m.text).toMatch(/^nftlens_policies_loaded 1$/m);
    expect(m.text).toMatch(/^nftlens_http_requests_total\{route="\/v1\/policies\/:name\/evaluate",method="POST",status="200"\} 2$/m);
    expect(m.text).toMatch(/^nftlens_http_requests_total\{route="\/v1\/policies\/:name",method="GET",status="404"\} 1$/m);
    expect(m.text).toMatch(/^nftlens_http_request_duration_seconds_bucket\{le="0\.001",route="\/healthz",method="GET",status="200"\} \d+$/m);
    expect(m.text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('logs no line per request at info (5,000 requests/s would be 10,000 lines/s); at debug it does', async () => {
    const before = log.length;
    await s.req('/healthz');
    await s.req('/v1/policies/examples/evaluate', { json: { packet: 'tcp 10.0.0.1:1 -> 10.0.0.2:2' } });
    expect(log.slice(before)).toEqual([]);
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk, _e, done) => void (lines.push(String(chunk)), done()) });
    const debug = await serve({ logger: { level: 'debug', stream } });
    try {
      await debug.req('/healthz');
    } finally {
      await debug.close();
    }
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
  });

  it('sends no CORS headers: a preflight finds no route, an answer allows no origin', async () => {
    const pre = await fetch(`${s.url}/v1/policies/examples`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'PUT' } });
    expect(pre.status).toBe(404);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const r = await fetch(`${s.url}/v1/policies`, { headers: { origin: 'http://evil.example' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers an internal failure with 500, an id and no stack; the log has the id', async () => {
    const p = s.services.store.get('examples')!;
    // A policy whose classifier breaks: nftlens's own failure, not the user's.
    (p.classifier as unknown as { evaluate: () => never }).evaluate = () => {
      throw new Error('boom at secret/path.ts:12');
    };
    const r = await s.req('/v1/policies/examples/evaluate', { json: { packet: 'tcp 10.0.0.1:1 -> 10.0.0.2:2' } });
    expect(r.status).toBe(500);
    expect(r.json.error.code).toBe('INTERNAL');
    expect(r.text).not.toContain('boom');
    expect(r.text).not.toContain('.ts');
    expect(log.join('')).toContain(r.json.error.id);
    expect(log.join('')).toContain('boom');
  });

  it('says it is not ready once closing', async () => {
    expect(s.services.ready()).toBe(true);
    await s.app.close();
    expect(s.services.ready()).toBe(false);
  });
});
