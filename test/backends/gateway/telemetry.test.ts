// Telemetry: the metrics endpoint refuses non-loopback addresses unless allowed, serves the
// registry over real HTTP on loopback (404 elsewhere), and closes; logs are pino JSON lines.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, GatewayMetrics, parseListen, serveMetrics } from '../../../src/backends/gateway/telemetry.js';

describe('parseListen', () => {
  it('takes loopback IPv4, IPv6 and localhost', () => {
    expect(parseListen('127.0.0.1:9469')).toEqual({ host: '127.0.0.1', port: 9469 });
    expect(parseListen('127.8.9.10:0')).toEqual({ host: '127.8.9.10', port: 0 });
    expect(parseListen('[::1]:9469')).toEqual({ host: '::1', port: 9469 });
    expect(parseListen('localhost:1')).toEqual({ host: '127.0.0.1', port: 1 });
  });
  it('refuses other addresses unless allowed, and malformed specs', () => {
    expect(() => parseListen('0.0.0.0:9469')).toThrow(/not a loopback address/);
    expect(() => parseListen('10.0.0.1:9469')).toThrow(/not a loopback address/);
    expect(() => parseListen('[::]:9469')).toThrow(/not a loopback address/);
    expect(() => parseListen('[::ffff:10.0.0.1]:80')).toThrow(/not a loopback address/);
    expect(parseListen('0.0.0.0:9469', true)).toEqual({ host: '0.0.0.0', port: 9469 });
    for (const bad of ['9469', ':9469', 'host:9469', '127.0.0.1:99999', '127.0.0.1:-1', '127.0.0.1:9469\n', '1.2.3.4:80; rm -rf /', '']) {
      expect(() => parseListen(bad)).toThrow();
    }
  });
});

describe('serveMetrics', () => {
  it('serves the registry on loopback and closes', async () => {
    const m = new GatewayMetrics();
    m.drift.inc({ table: 'ip t' });
    m.lastSync.set(1234);
    const server = await serveMetrics(m.registry, parseListen('127.0.0.1:0'));
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const res = await fetch(server.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      const body = await res.text();
      expect(body).toContain('# TYPE nftlens_sync_rules_duration_seconds histogram');
      expect(body).toContain('nftlens_drift_detected_total{table="ip t"} 1');
      expect(body).toContain('nftlens_sync_rules_last_timestamp_seconds 1234');
      expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
    } finally {
      await server.close();
    }
    await expect(fetch(server.url)).rejects.toThrow();
  });
});

describe('createLogger', () => {
  it('writes JSON lines at the level asked', () => {
    const out = new PassThrough();
    const log = createLogger(out, 'warn');
    log.info('hidden');
    log.warn({ table: 'ip t' }, 'drift detected');
    const lines = String(out.read()).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, name: 'nftlens', table: 'ip t', msg: 'drift detected' });
  });
});
