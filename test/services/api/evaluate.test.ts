// Evaluate through real HTTP: one packet (text or JSON form, trace, hook), many (JSON items or a
// text/plain packets file, full or compact), each answer equal to what `nftlens eval -o json`
// gives for the same packets; bad packets located; batch, trace and body limits.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../support/cli.js';
import { PACKETS, serve, type Served } from './support.js';


async function cliJson(args: string[], stdin = ''): Promise<unknown[]> {
  const r = await cli(['eval', '-o', 'json', ...args], stdin);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as unknown[];
}

describe('evaluate', () => {
  let s: Served;
  const path = '/v1/policies/examples/evaluate';
  beforeAll(async () => {
    s = await serve({ limits: { maxBatch: 5000, maxTrace: 3 }, bodyLimit: 400 * 1024 });
  });
  afterAll(() => s.close());

  it('answers one packet, in text or JSON form, as nftlens eval -o json does, with the trace on request', async () => {
    const [want] = await cliJson(['-p', PACKETS[0]!]);
    const text = await s.req(path, { json: { packet: PACKETS[0] } });
    expect(text.status).toBe(200);
    expect(text.json).toEqual(want);
    expect(text.json).toMatchObject({ verdict: 'accept', by: 'rule', rule: { id: 0, origin: { resource: 'liqo/provider-protection', line: 24 } } });
    const asJson = await s.req(path, { json: { packet: { saddr: '10.112.0.5', daddr: '10.42.1.15', l4proto: 'tcp', sport: 40000, dport: 80, iifname: 'liqo-tunnel', oifname: 'eth0' } } });
    expect(asJson.json).toEqual(want);
    const [traced] = await cliJson(['-p', PACKETS[1]!, '--trace', '--hook', 'forward']);
    const t = await s.req(path, { json: { packet: PACKETS[1], trace: true, hook: 'forward' } });
    expect(t.json).toEqual(traced);
    expect(t.json.trace.length).toBeGreaterThan(2);
  });

  it('answers many packets, JSON items or a text/plain file, full or compact, as the CLI does', async () => {
    const want = await cliJson(['--packets', '-'], PACKETS.join('\n'));
    const many = await s.req(path, { json: { packets: PACKETS.map((p) => (p.startsWith('{') ? JSON.parse(p) : p)) } });
    expect(many.status).toBe(200);
    expect(many.json).toEqual({ count: PACKETS.length, results: want });
    const file = `# a comment\n\n${PACKETS.join('\r\n')}\n`;
    const text = await s.req(path, { body: file, type: 'text/plain' });
    expect(text.json).toEqual({ count: PACKETS.length, results: want });
    const compact = await s.req(`${path}?view=compact`, { body: file, type: 'text/plain' });
    const c = compact.json;
    expect(c.count).toBe(PACKETS.length);
    expect(c.verdict).toEqual(want.map((r: any) => r.verdict));
    expect(c.rule).toEqual(want.map((r: any) => r.rule?.id ?? null));
    expect(c.chain).toEqual(want.map((r: any) => r.chain?.id ?? null));
    for (const r of want as any[]) if (r.rule) expect(c.rules[r.rule.id]).toEqual({ label: r.rule.label, origin: r.rule.origin });
    const hooked = await s.req(`${path}?hook=forward&trace=true`, { body: PACKETS.slice(0, 2).join('\n'), type: 'text/plain' });
    expect(hooked.json).toEqual({ count: 2, results: await cliJson(['--packets', '-', '--hook', 'forward', '--trace'], PACKETS.slice(0, 2).join('\n')) });
  });

  it('evaluates a batch larger than the classifier capacity, in order', async () => {
    const lines = Array.from({ length: 4500 }, (_, i) => `tcp 10.112.${i >> 8}.${i & 255}:${1000 + i} -> 10.42.1.${i % 2 ? 15 : 16}:80 iif liqo-tunnel oif eth0`);
    const r = await s.req(`${path}?view=compact`, { body: lines.join('\n'), type: 'text/plain' });
    expect(r.status).toBe(200);
    expect(r.json.count).toBe(4500);
    expect(r.json.verdict.slice(0, 4)).toEqual(['drop', 'accept', 'drop', 'accept']);
    const full = await s.req(path, { json: { packets: lines.slice(4090, 4100) } });
    expect(full.json.results.map((x: any) => x.packet.sport)).toEqual(Array.from({ length: 10 }, (_, i) => 5090 + i));
  });

  it('locates a bad packet: the line of a text body, the item of a JSON one', async () => {
    const text = await s.req(path, { body: `${PACKETS[0]}\n\nudp 10.0.0.1:1 -> 10.0.0.2:99999\n`, type: 'text/plain' });
    expect(text.status).toBe(400);
    expect(text.json.error).toMatchObject({ code: 'INVALID_INPUT', diagnostics: [{ code: 'INPUT_PARSE', origin: { file: 'body', line: 3 } }] });
    const item = await s.req(path, { json: { packets: [PACKETS[0], 'tcp nonsense'] } });
    expect(item.json.error).toMatchObject({ code: 'INVALID_INPUT', diagnostics: [{ origin: { field: '/packets/1' } }] });
    const one = await s.req(path, { json: { packet: { saddr: '10.0.0.1', daddr: 'fd00::1' } } });
    expect(one.json.error).toMatchObject({ code: 'INVALID_INPUT', diagnostics: [{ origin: { field: '/packet' } }] });
  });

  it('names the field of a schema error by JSON pointer', async () => {
    const cases: [unknown, string][] = [
      [{ packet: PACKETS[0], hook: 'sideways' }, '/hook'],
      [{ packet: PACKETS[0], trace: 'yes' }, '/trace'],
      [{ packet: PACKETS[0], extra: 1 }, '/extra'],
      [{ packets: [PACKETS[0], { saddr: '10.0.0.1', daddr: '10.0.0.2', dport: 'http' }] }, '/packets/1/dport'],
      [{ packets: [PACKETS[0], { saddr: '10.0.0.1' }] }, '/packets/1/daddr'],
      [{ packets: [] }, '/packets'],
      [{}, '/packet'],
      [{ packet: PACKETS[0], packets: [PACKETS[0]] }, '/packets'],
    ];
    for (const [body, pointer] of cases) {
      const r = await s.req(path, { json: body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.error, JSON.stringify(body)).toMatchObject({ code: 'SCHEMA', pointer });
    }
    expect((await s.req(`${path}?view=wide`, { body: PACKETS[0], type: 'text/plain' })).json.error).toMatchObject({ code: 'SCHEMA', pointer: '/view' });
    expect((await s.req(path, { body: '{"packet":', type: 'application/json' })).json.error.code).toBe('BAD_REQUEST');
    expect((await s.req(path, { body: '# nothing\n', type: 'text/plain' })).json.error.code).toBe('BAD_REQUEST');
  });

  it('keeps to its limits: packets a request, traced packets, body size; unknown policy, other media', async () => {
    const most = await s.req(`${path}?view=compact`, { body: Array.from({ length: 5000 }, () => PACKETS[0]).join('\n'), type: 'text/plain' });
    expect(most.json.count).toBe(5000);
    const over = await s.req(path, { json: { packets: Array.from({ length: 5001 }, () => 'tcp 1.1.1.1:1 -> 2.2.2.2:2') } });
    expect(over.status).toBe(413);
    expect(over.json.error.code).toBe('TOO_LARGE');
    const traced = await s.req(path, { json: { packets: PACKETS.slice(0, 4), trace: true } });
    expect(traced.json.error).toMatchObject({ code: 'TOO_LARGE' });
    const huge = await s.req(path, { body: Array.from({ length: 7000 }, () => PACKETS[0]).join('\n'), type: 'text/plain' });
    expect(huge.status).toBe(413);
    expect(huge.json.error.code).toBe('TOO_LARGE');
    expect((await s.req('/v1/policies/nope/evaluate', { json: { packet: PACKETS[0] } })).status).toBe(404);
    expect((await s.req(path, { body: PACKETS[0], type: 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await s.req('/healthz')).status).toBe(200);
  });

  it('answers a packet whose verdict depends on state with every outcome, alone and in a batch', async () => {
    const lb = readFileSync(new URL('../../../docs/examples/load-balancer.json', import.meta.url), 'utf8');
    expect((await s.req('/v1/policies/lb', { method: 'PUT', body: lb, type: 'application/json' })).status).toBe(201);
    const svc = 'tcp 10.1.0.9:40000 -> 10.96.0.10:80 iif eth0 oif eth1';
    const ssh = 'tcp 10.1.0.9:40001 -> 10.244.1.5:22 iif eth0 oif eth1';
    const one = await s.req('/v1/policies/lb/evaluate', { json: { packet: svc } });
    expect(one.status).toBe(200);
    expect(one.json.verdict).toBe('accept');
    expect(one.json.outcomes.map((o: { state: string[]; after: { daddr: string } }) => [o.state, o.after.daddr])).toEqual([
      [['numgen random mod 2 = 0 (inet lb svc rule handle 6)'], '10.244.1.5'], [['numgen random mod 2 = 1 (inet lb svc rule handle 6)'], '10.244.2.7'],
    ]);
    const limited = await s.req('/v1/policies/lb/evaluate', { json: { packet: ssh } });
    expect(limited.json).toMatchObject({ verdict: 'depends-on-state', outcomes: [{ verdict: 'accept' }, { verdict: 'drop' }] });
    const batch = await s.req('/v1/policies/lb/evaluate', { json: { packets: [svc, ssh] } });
    expect(batch.json.results).toEqual([one.json, limited.json]);
    const compact = await s.req('/v1/policies/lb/evaluate', { json: { packets: [svc, ssh], view: 'compact' } });
    expect(compact.json.verdict).toEqual(['depends-on-state', 'depends-on-state']);
    // A broadcast frame the node would forward: dropped at the routing decision, no chain decided.
    const bcast = 'udp 10.1.0.9:4000 -> 10.244.1.5:53 iif eth0 oif eth1 pkttype broadcast';
    const routed = await s.req('/v1/policies/lb/evaluate', { json: { packet: bcast } });
    expect(routed.json).toMatchObject({ verdict: 'drop', by: 'route', hooks: ['prerouting'] });
    const routedCompact = await s.req('/v1/policies/lb/evaluate', { json: { packets: [bcast], view: 'compact' } });
    expect(routedCompact.json).toMatchObject({ verdict: ['drop'], rule: [null], chain: [null], chains: {} });
    await s.req('/v1/policies/lb', { method: 'DELETE' });
  });
});
