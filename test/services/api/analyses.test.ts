// Analyses through real HTTP: analyze, isolation and diff answer what the CLI's -o json gives for
// the same policies; an analysis past its time limit is stopped with TIMEOUT while the server goes
// on answering; past the worker limit, BUSY.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../support/cli.js';
import { heavyPolicy, serve, type Served } from './support.js';

const here = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const SINGLE = here('examples/provider-protect-single-consumer.yaml');

async function cliJson(args: string[]): Promise<unknown> {
  const r = await cli([...args, '-o', 'json']);
  expect(r.code).toBeLessThanOrEqual(1);
  return JSON.parse(r.stdout);
}

describe('analyses', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve({ workers: 2, analysisTimeoutMs: 60_000 });
    await s.services.store.load('venice', [SINGLE]); // as -f gives it: origins name the same file
  });
  afterAll(() => s.close());

  it('analyze answers as nftlens analyze -o json, with or without a body', async () => {
    const want = (await cliJson(['analyze'])) as { summary: { error: number } };
    const r = await s.req('/v1/policies/examples/analyze', { method: 'POST' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual(want);
    expect(want.summary.error).toBeGreaterThan(0);
    const hooked = await s.req('/v1/policies/examples/analyze', { json: { hooks: ['input'], local: ['10.42.0.1'] } });
    expect(hooked.json).toEqual(await cliJson(['analyze', '--hook', 'input', '--local', '10.42.0.1']));
    expect((await s.req('/v1/policies/examples/analyze', { json: { hooks: ['up'] } })).json.error).toMatchObject({ code: 'SCHEMA', pointer: '/hooks/0' });
    expect((await s.req('/v1/policies/none/analyze', { json: {} })).status).toBe(404);
  });

  it('isolation answers as nftlens isolation -o json; tenants as YAML text or JSON; bad tenants located', async () => {
    const want = await cliJson(['isolation']);
    const r = await s.req('/v1/isolation', { json: { policy: 'examples' } });
    expect(r.status).toBe(200);
    expect(r.json).toEqual(want);
    const tenants = await readFile(here('examples/tenants'), 'utf8');
    expect((await s.req('/v1/isolation', { json: { policy: 'venice', tenants } })).json).toEqual(await cliJson(['isolation', '-f', SINGLE]));
    const breach = { tenants: { a: { sources: ['10.112.0.0/16'], destinations: ['10.42.1.15'] }, b: { sources: ['10.113.0.0/16'], destinations: ['10.42.1.16'] } } };
    const open = await s.req('/v1/isolation', { json: { policy: 'venice', tenants: breach } });
    expect(open.status).toBe(200);
    const bad = await s.req('/v1/isolation', { json: { policy: 'examples', tenants: { t: { sources: 'x' } } } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'INVALID_INPUT', diagnostics: [{ code: 'INPUT_KIND', origin: { file: 'tenants', field: 'tenants.t.sources' } }] });
    expect((await s.req('/v1/isolation', { json: {} })).json.error).toMatchObject({ code: 'SCHEMA', pointer: '/policy' });
  });

  it('diff answers as nftlens diff -o json, with witnesses', async () => {
    const want = (await cliJson(['diff', here('examples'), SINGLE])) as { changes: unknown[] };
    const r = await s.req('/v1/diff', { json: { old: 'examples', new: 'venice' } });
    expect(r.status).toBe(200);
    expect(r.json.changes.length).toBe(want.changes.length);
    expect(r.json.changes.map((c: any) => c.witness)).toEqual(want.changes.map((c: any) => c.witness));
    expect(r.json.changed).toBe(true);
    expect((await s.req('/v1/diff', { json: { old: 'examples', new: 'examples', byRule: true } })).json).toMatchObject({ changed: false, changes: [] });
    expect((await s.req('/v1/diff', { json: { old: 'examples', new: 'gone' } })).status).toBe(404);
  });

  it('takes the gateway\'s routes for fib lookups as the CLI\'s --route does; a bad route is located', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nftlens-api-rpf-'));
    const rpf = join(dir, 'rpf.json');
    await writeFile(rpf, JSON.stringify({ nftables: [
      { table: { family: 'inet', name: 'raw' } },
      { chain: { family: 'inet', table: 'raw', name: 'pre', type: 'filter', hook: 'prerouting', prio: -300, policy: 'accept' } },
      { rule: { family: 'inet', table: 'raw', chain: 'pre', expr: [{ match: { op: '==', left: { fib: { result: 'oif', flags: ['saddr', 'iif'] } }, right: false } }, { drop: null }] } },
      { rule: { family: 'inet', table: 'raw', chain: 'pre', expr: [{ match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'eth0' } }, { match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: { prefix: { addr: '10.0.0.0', len: 8 } } } }, { drop: null }] } },
    ] }));
    await s.services.store.load('rpf', [rpf]);
    const routes = ['10.0.0.0/8 dev eth1', 'default dev eth0'];
    const r = await s.req('/v1/policies/rpf/analyze', { json: { routes } });
    expect(r.status).toBe(200);
    expect(r.json).toEqual(await cliJson(['analyze', '-f', rpf, ...routes.flatMap((x) => ['--route', x])]));
    // 10.0.0.0/8 on eth0 fails the reverse path first: the second rule is redundant, but only with these routes.
    expect(JSON.stringify(r.json)).toContain('redundant');
    expect(JSON.stringify((await s.req('/v1/policies/rpf/analyze', { json: {} })).json)).not.toContain('redundant');
    const bad = await s.req('/v1/policies/rpf/analyze', { json: { routes: ['10.0.0.0/8 via eth1'] } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json.error)).toContain('is not \\"PREFIX dev INTERFACE\\"');
    await rm(dir, { recursive: true, force: true });
  });

  it('stops an analysis past its time limit with TIMEOUT, answering /healthz and evaluate meanwhile', async () => {
    expect((await s.req('/v1/policies/heavy', { method: 'PUT', body: heavyPolicy(20_000), type: 'application/json' })).status).toBe(201);
    const started = Date.now();
    const slow = s.req('/v1/policies/heavy/analyze', { json: { timeoutMs: 1000 } });
    const pings: number[] = [];
    for (let i = 0; i < 8; i++) {
      const t = Date.now();
      const h = await s.req('/healthz');
      expect(h.status).toBe(200);
      const e = await s.req('/v1/policies/examples/evaluate', { json: { packet: 'tcp 10.112.0.5:1 -> 10.42.1.15:80 iif liqo-tunnel oif eth0' } });
      expect(e.json.verdict).toBe('accept');
      pings.push(Date.now() - t);
      await new Promise((r) => setTimeout(r, 150));
    }
    const r = await slow;
    expect(r.status).toBe(503);
    expect(r.json.error).toMatchObject({ code: 'TIMEOUT' });
    expect(r.json.error.message).toContain('1000 ms');
    expect(Date.now() - started).toBeLessThan(8000);
    expect(Math.max(...pings)).toBeLessThan(1000);
    expect(s.services.runner.busy).toBe(0);
    expect((await s.req('/v1/policies/heavy/analyze', { json: { timeoutMs: 70_000 } })).json.error).toMatchObject({ code: 'SCHEMA', pointer: '/timeoutMs' });
  });

  it('answers BUSY past the number of workers, and runs again once they are done', async () => {
    const running = [1, 2].map(() => s.req('/v1/policies/heavy/analyze', { json: { timeoutMs: 3000 } }));
    for (let i = 0; i < 300 && s.services.runner.busy < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const third = await s.req('/v1/isolation', { json: { policy: 'examples' } });
    expect(third.status).toBe(503);
    expect(third.json.error.code).toBe('BUSY');
    await Promise.all(running);
    expect((await s.req('/v1/isolation', { json: { policy: 'examples' } })).status).toBe(200);
  });
});
