// POST /v1/policies/{name}/replay over real HTTP on loopback: the flow file as the body (conntrack
// text, pcap bytes), the NDJSON answer (progress, then the report the CLI gives with -o json),
// a baseline by name, schema-checked query, errors before the answer (404, 400) and in it (a
// malformed record located, the size limit), and the route in the OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { craftFrame, writePcap } from '../../../src/probe/pcap.js';
import { cli } from '../../support/cli.js';
import { tempFile } from '../../support/flows.js';
import { serve, type Served } from './support.js';

const single = new URL('../../../examples/provider-protect-single-consumer.yaml', import.meta.url).pathname;
const multi = new URL('../../../examples/provider-protect-multi-consumer.yaml', import.meta.url).pathname;
const line = (s: string, d: string) => `tcp      6 300 ESTABLISHED src=${s} dst=${d} sport=40000 dport=80 packets=3 bytes=180 src=${d} dst=${s} sport=80 dport=40000 packets=2 bytes=120 [ASSURED] mark=0 use=1`;
const FLOWS = [line('10.112.0.5', '10.42.1.15'), line('10.113.0.5', '10.42.3.21'), line('10.112.0.5', '10.42.9.9')].join('\n').concat('\n').repeat(2000);
const Q = 'iif=liqo-tunnel&oif=liqo.abcdefghij';

describe('POST /v1/policies/{name}/replay', () => {
  let srv: Served;
  beforeAll(async () => {
    srv = await serve();
    await srv.services.store.load('multi', [multi]);
    await srv.services.store.load('single', [single]);
  });
  afterAll(async () => srv.close());

  const post = (path: string, body: string | Uint8Array, type = 'text/plain') => fetch(srv.url + path, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body).buffer, headers: { 'content-type': type } });
  const ndjson = async (r: Response) => (await r.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);

  it('streams the report the CLI gives, with a baseline by name', async () => {
    const r = await post(`/v1/policies/multi/replay?baseline=single&${Q}&top=5`, FLOWS);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = await ndjson(r);
    const last = lines.at(-1)!;
    expect(lines.slice(0, -1).every((l) => 'progress' in l)).toBe(true);
    const cliRun = await cli(['replay', '-f', multi, '--baseline', single, '--flows', tempFile(FLOWS), '--iif', 'liqo-tunnel', '--oif', 'liqo.abcdefghij', '--top', '5', '-o', 'json']);
    const want = JSON.parse(cliRun.stdout) as Record<string, any>;
    for (const g of want.changes.top) g.witnessAt = g.witnessAt.replace(/^.*:(\d+)$/, 'body:$1');
    expect(last.report).toEqual(want);
    expect(last.report.changes.flows).toBe(2000);
  });

  it('replays a pcap body', async () => {
    const frame = (d: string) => craftFrame({ version: 4, saddr: '10.112.0.5', daddr: d, l4proto: 6, sport: 40000, dport: 80, tcpFlags: 2, tag: 1, srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02' });
    const r = await post(`/v1/policies/multi/replay?${Q}`, writePcap([frame('10.42.1.15'), frame('10.42.1.15'), frame('10.42.9.9')]), 'application/octet-stream');
    const { report } = (await ndjson(r)).at(-1)!;
    expect(report.format).toBe('pcap');
    expect(report.totals).toEqual({ flows: 2, packets: 3, bytes: 120, accepted: 1, dropped: 1, rejected: 0 });
  });

  it('answers errors before the stream as JSON errors, and ends the stream with a located error line', async () => {
    const e404 = await post('/v1/policies/nope/replay', FLOWS);
    expect([e404.status, (await e404.json()).error.code]).toEqual([404, 'NOT_FOUND']);
    const b404 = await post('/v1/policies/multi/replay?baseline=nope', FLOWS);
    expect([b404.status, (await b404.json()).error.message]).toEqual([404, 'no baseline policy named "nope"']);
    const schema = await post('/v1/policies/multi/replay?format=xml', FLOWS);
    expect([schema.status, (await schema.json()).error.code]).toEqual([400, 'SCHEMA']);
    const longIf = await post('/v1/policies/multi/replay?iif=this-is-too-long-a-name', FLOWS);
    expect([longIf.status, (await longIf.json()).error.pointer]).toEqual([400, '/iif']);
    const garbage = await post('/v1/policies/multi/replay', 'hello\nworld\n');
    const g = (await garbage.json()).error;
    expect([garbage.status, g.code, g.diagnostics[0].code, g.diagnostics[0].origin]).toEqual([400, 'INVALID_INPUT', 'FLOW_FORMAT', { file: 'body', line: 1 }]);
    const wrong = await post('/v1/policies/multi/replay?format=pcap', FLOWS);
    expect((await wrong.json()).error.diagnostics[0].message).toBe('not a pcap file: it looks like conntrack');
    const bad = await post(`/v1/policies/multi/replay?${Q}`, FLOWS + 'tcp 6 1 src=10.0.0.1 dst=10.0.0.2 sport=99999 dport=1 src=10.0.0.2 dst=10.0.0.1\n');
    expect(bad.status).toBe(200);
    const err = (await ndjson(bad)).at(-1)!.error;
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.diagnostics[0]).toMatchObject({ code: 'FLOW_RECORD', origin: { file: 'body', line: 6001, field: 'sport' } });
    // The server still answers.
    expect((await fetch(srv.url + '/healthz')).status).toBe(200);
  });

  it('is in the OpenAPI document with its query parameters', async () => {
    const doc = (await (await fetch(srv.url + '/openapi.json')).json()) as { paths: Record<string, any> };
    const op = doc.paths['/v1/policies/{name}/replay']!.post;
    expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['baseline', 'format', 'iif', 'name', 'oif', 'top']);
    expect(op.responses['200'].description).toMatch(/NDJSON/);
  });
});
