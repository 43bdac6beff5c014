// Binary batches through real HTTP: records (application/vnd.nftlens.packets) answered compact as
// JSON, or as columns (application/vnd.nftlens.results) — each equal to the compact JSON answer the
// same packets get as JSON items (the per-packet parser's path) — over both IP versions, interface
// names that change, every ct state, marks, local flags, masquerade and more packets than the
// classifier's capacity; text bodies answered as columns alike; broken records located;
// truncated bodies, batch and size limits; packets counted in the metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packetFromJson } from '../../../src/engine/packet.js';
import { RECORD, RECORD_BYTES, encodeRecords } from '../../../src/engine/stream/records.js';
import { serve, type Served } from './support.js';

const RECORDS = 'application/vnd.nftlens.packets';
const RESULTS = 'application/vnd.nftlens.results';
const NONE = 0xffffffff;

const m = (l: Record<string, unknown>, r: unknown) => ({ match: { op: '==', left: l, right: r } });
const rule = (chain: string, ...expr: unknown[]) => ({ rule: { family: 'inet', table: 't', chain, expr } });
const POLICY = JSON.stringify({
  nftables: [
    { table: { family: 'inet', name: 't' } },
    { chain: { family: 'inet', table: 't', name: 'fwd', type: 'filter', hook: 'forward', prio: 0, policy: 'drop' } },
    { chain: { family: 'inet', table: 't', name: 'in', type: 'filter', hook: 'input', prio: 0, policy: 'drop' } },
    { chain: { family: 'inet', table: 't', name: 'post', type: 'nat', hook: 'postrouting', prio: 100, policy: 'accept' } },
    rule('fwd', m({ ct: { key: 'state' } }, 'established'), { accept: null }),
    rule('fwd', m({ meta: { key: 'iifname' } }, 'wg*'), m({ meta: { key: 'mark' } }, 16), { accept: null }),
    rule('fwd', m({ payload: { protocol: 'tcp', field: 'dport' } }, 22), { reject: null }),
    rule('fwd', m({ payload: { protocol: 'udp', field: 'dport' } }, 53), m({ meta: { key: 'oifname' } }, 'eth0'), { accept: null }),
    rule('fwd', m({ payload: { protocol: 'ip6', field: 'saddr' } }, { prefix: { addr: 'fd00::', len: 64 } }), { accept: null }),
    rule('fwd', m({ meta: { key: 'l4proto' } }, 1), m({ ct: { key: 'mark' } }, 7), { accept: null }),
    rule('in', m({ payload: { protocol: 'tcp', field: 'dport' } }, 80), { accept: null }),
    rule('post', m({ meta: { key: 'oifname' } }, 'eth0'), { masquerade: null }),
  ],
});

/** n packets (JSON form) of every kind the records carry. */
function packets(n: number): Record<string, unknown>[] {
  const ifs = ['', 'eth0', 'wg0', 'wg-abcdefghijkl', 'ñic0'];
  const cts = ['new', 'established', 'related', 'invalid', 'untracked'];
  return Array.from({ length: n }, (_, i) => {
    const v6 = i % 7 === 3;
    const proto = ['tcp', 'udp', 'icmp', 'tcp', 47][i % 5]!;
    const p: Record<string, unknown> = {
      saddr: v6 ? `fd0${i % 2}::${(i % 65535).toString(16)}` : `10.${i % 3}.${(i >> 8) & 255}.${i & 255}`,
      daddr: v6 ? 'fd00::2' : `192.168.${i % 4}.${(i * 7) & 255}`,
      l4proto: proto, iifname: ifs[i % 5], oifname: ifs[(i >> 1) % 3], ctState: cts[(i >> 2) % 5],
      mark: i % 11 === 0 ? 16 : 0, ctMark: i % 13 === 0 ? 7 : 0,
    };
    if (proto === 'tcp' || proto === 'udp') Object.assign(p, { sport: 1024 + i, dport: [22, 53, 80, 443][i % 4] });
    if (proto === 'tcp' && i % 6 === 0) p.tcpFlags = 0x12;
    if (i % 9 === 0) p.local = true;
    else if (i % 9 === 4) p.dstLocal = true;
    if (i % 17 === 0) p.length = 1500;
    return p;
  });
}

/** The columns of a binary answer. */
function columns(body: ArrayBuffer) {
  const n = body.byteLength / 12;
  expect(Number.isInteger(n)).toBe(true);
  const v = new DataView(body);
  const col = (k: number) => Array.from({ length: n }, (_, i) => v.getUint32(4 * (k * n + i), true));
  return { verdict: col(0).map((x) => ['drop', 'accept', 'reject'][x]), rule: col(1).map((x) => (x === NONE ? null : x)), chain: col(2).map((x) => (x === NONE ? null : x)) };
}

describe('evaluate binary records', () => {
  let s: Served;
  const path = '/v1/policies/t/evaluate';
  const post = (query: string, body: Buffer | string, type = RECORDS, accept?: string) =>
    fetch(`${s.url}${path}${query}`, { method: 'POST', body: body as BodyInit, headers: { 'content-type': type, ...(accept ? { accept } : {}) } });
  beforeAll(async () => {
    s = await serve({ limits: { maxBatch: 6000 }, bodyLimit: 4 << 20 });
    expect((await s.req('/v1/policies/t', { method: 'PUT', body: POLICY, type: 'application/json' })).status).toBe(201);
  });
  afterAll(() => s.close());

  it('answers records as the same packets sent as JSON items are answered, compact JSON or columns', async () => {
    const items = packets(5000);
    const bytes = encodeRecords(items.map((p) => packetFromJson(p)));
    expect(bytes.length).toBe(5000 * RECORD_BYTES);
    for (const hook of [undefined, 'forward']) {
      const want = await s.req(path, { json: { packets: items, view: 'compact', ...(hook ? { hook } : {}) } });
      expect(want.status).toBe(200);
      expect(new Set(want.json.verdict)).toEqual(new Set(['accept', 'drop', 'reject']));
      expect(want.json.rule).toContain(null);
      const q = hook ? `?hook=${hook}` : '';
      const json = await post(q, bytes);
      expect(json.status).toBe(200);
      expect(json.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await json.json()).toEqual(want.json);
      const bin = await post(q, bytes, RECORDS, RESULTS);
      expect(bin.status).toBe(200);
      expect(bin.headers.get('content-type')).toBe(RESULTS);
      const cols = columns(await bin.arrayBuffer());
      expect(cols).toEqual({ verdict: want.json.verdict, rule: want.json.rule, chain: want.json.chain });
    }
  });

  it('answers a text body as columns too, equal to its compact JSON answer', async () => {
    const lines = ['tcp 10.0.0.1:1 -> 10.0.0.2:22 iif eth0', 'udp 10.0.0.1:1 -> 10.0.0.2:53 oif eth0', '# a comment', 'tcp [fd00::1]:5 -> [fd00::2]:80 dst-local'];
    const want = await s.req(`${path}?view=compact`, { body: lines.join('\n'), type: 'text/plain' });
    expect(want.json.count).toBe(3);
    const bin = await post('', lines.join('\n'), 'text/plain', `${RESULTS}, application/json;q=0.5`);
    expect(bin.headers.get('content-type')).toBe(RESULTS);
    expect(columns(await bin.arrayBuffer())).toEqual({ verdict: want.json.verdict, rule: want.json.rule, chain: want.json.chain });
  });

  it('reads a packets file of many chunks: results in order, a bad line located by its line in the body', async () => {
    // Near a megabyte: several of the chunks a text body is scanned in, lines cut between blocks.
    const items = packets(5900);
    const lines = items.map((p, i) => (i % 3 ? JSON.stringify(p) : `# packet ${i}, in JSON form next\r\n${JSON.stringify(p)}`));
    const body = lines.join('\n');
    expect(body.length).toBeGreaterThan(900_000);
    const want = await s.req(path, { json: { packets: items, view: 'compact' } });
    const got = await s.req(`${path}?view=compact`, { body, type: 'text/plain' });
    expect(got.status).toBe(200);
    expect(got.json).toEqual(want.json);
    const bad = [...lines.slice(0, 5000), 'tcp 10.0.0.1:1 -> 10.0.0.2:70000', ...lines.slice(5000)].join('\n');
    const r = await s.req(`${path}?view=compact`, { body: bad, type: 'text/plain' });
    expect(r.status).toBe(400);
    // Line numbers: each third packet line has a comment line before it.
    expect(r.json.error.diagnostics[0].origin).toEqual({ file: 'body', line: 5000 + Math.ceil(5000 / 3) + 1 });
  });

  it('locates a broken record by its index and field', async () => {
    const good = encodeRecords(packets(4200).map((p) => packetFromJson(p)));
    const cases: [number, number, string][] = [
      [RECORD.family, 5, 'family'],
      [RECORD.local, 3, 'local'],
      [RECORD.ctState, 3, 'ctState'],
      [RECORD.reserved, 1, 'reserved'],
      [RECORD.saddr + 4, 1, 'saddr'],
    ];
    for (const [offset, value, field] of cases) {
      const b = Buffer.from(good);
      const i = 4100; // in the second batch of the classifier's capacity
      b[i * RECORD_BYTES + RECORD.family] = 4;
      b[i * RECORD_BYTES + offset] = value;
      const r = await post('', b);
      expect(r.status, field).toBe(400);
      const e = ((await r.json()) as any).error;
      expect(e, field).toMatchObject({ code: 'INVALID_INPUT', diagnostics: [{ code: 'INPUT_PARSE', origin: { file: 'body', field: `records[${i}].${field}` } }] });
    }
    const long = Buffer.from(good);
    long.fill(0x61, 7 * RECORD_BYTES + RECORD.iifname, 7 * RECORD_BYTES + RECORD.iifname + 16);
    expect(((await (await post('', long)).json()) as any).error.diagnostics[0].origin.field).toBe('records[7].iifname');
    const junk = Buffer.from(good);
    junk[9 * RECORD_BYTES + RECORD.oifname + 14] = 0x61; // after the name's NUL
    expect(((await (await post('', junk)).json()) as any).error.diagnostics[0].origin.field).toBe('records[9].oifname');
  });

  it('refuses truncated and empty bodies, the full view and traces, and keeps to its limits', async () => {
    const one = encodeRecords([packetFromJson({ saddr: '10.0.0.1', daddr: '10.0.0.2' })]);
    for (const body of [one.subarray(0, RECORD_BYTES - 1), Buffer.concat([one, one.subarray(0, 10)]), Buffer.alloc(0)]) {
      const r = await post('', body);
      expect(r.status, String(body.length)).toBe(400);
      expect(((await r.json()) as any).error.code).toBe('BAD_REQUEST');
    }
    for (const q of ['?view=full', '?trace=true']) {
      const r = await post(q, one);
      expect(r.status, q).toBe(400);
      expect(((await r.json()) as any).error.code).toBe('BAD_REQUEST');
    }
    const over = await post('', Buffer.concat(Array.from({ length: 6001 }, () => one)));
    expect(over.status).toBe(413);
    expect(((await over.json()) as any).error.code).toBe('TOO_LARGE');
    // Over the body limit (a server of a small one: a body the socket cannot hold would be cut off as the answer comes).
    const small = await serve({ bodyLimit: 100 * RECORD_BYTES });
    try {
      const body = Buffer.concat(Array.from({ length: 101 }, () => one));
      // With its length declared, and chunked (no length: counted as it comes).
      const chunked = () => new ReadableStream({ start: (c) => (c.enqueue(new Uint8Array(body)), c.close()) });
      for (const init of [{ body }, { body: chunked(), duplex: 'half' }]) {
        const r = await fetch(`${small.url}/v1/policies/examples/evaluate`, { method: 'POST', ...init, headers: { 'content-type': RECORDS } } as RequestInit);
        expect(r.status).toBe(413);
        expect(((await r.json()) as any).error.code).toBe('TOO_LARGE');
      }
      expect((await small.req('/v1/policies/examples/evaluate', { body: one.toString('latin1'), type: RECORDS })).status).toBe(200);
    } finally {
      await small.close();
    }
    const textOver = await post('?view=compact', Array.from({ length: 6001 }, () => 'tcp 1.1.1.1:1 -> 2.2.2.2:2').join('\n'), 'text/plain');
    expect(textOver.status).toBe(413);
    expect(((await textOver.json()) as any).error.code).toBe('TOO_LARGE');
  });

  it('counts the packets it evaluated in the metrics', async () => {
    const count = async () => Number(/^nftlens_packets_evaluated_total (\d+)$/m.exec((await s.req('/metrics')).text)![1]);
    const before = await count();
    const r = await post('', encodeRecords(packets(321).map((p) => packetFromJson(p))), RECORDS, RESULTS);
    expect(r.status).toBe(200);
    expect((await r.arrayBuffer()).byteLength).toBe(321 * 12);
    expect(await count()).toBe(before + 321);
  });
});
