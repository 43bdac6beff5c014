// Table forms without a kernel: what a listing's form leaves out (handles, counter values, table
// and chain comments, the ownership marker, key order) and what it keeps (every other field, rule
// order); the rendered intent's texts say to nft what its commands say, and its form is the form
// of the same objects listed back as nft prints them.
import { describe, expect, it } from 'vitest';
import { listingForm, OWNER_CHAIN, renderedTable } from '../../../src/backends/gateway/index.js';
import { fc, intentOf } from './support.js';

const T = { family: 'ip', table: 't' };
const match = (addr: string) => ({ match: { op: '==', left: { payload: { protocol: 'ip', field: 'daddr' } }, right: addr } });
const rule = (addr: string, handle: number, extra: object = {}) => ({
  rule: { ...T, chain: 'c', handle, comment: `to-${addr}`, expr: [match(addr), { counter: { packets: handle, bytes: 10 * handle } }, { accept: null }], ...extra },
});
const listing = (...rules: object[]) => [
  { table: { family: 'ip', name: 't', handle: 1 } },
  { chain: { ...T, name: 'c', handle: 2, type: 'filter', hook: 'forward', prio: 0, policy: 'drop' } },
  ...rules,
];

describe('listingForm', () => {
  const base = listingForm(listing(rule('10.0.0.1', 3), rule('10.0.0.2', 4))).text;

  it('leaves out handles, counter values, table and chain comments, the marker, key order', () => {
    const same = listingForm([
      { table: { name: 't', family: 'ip', handle: 9, comment: 'lost on JSON input anyway' } },
      { chain: { ...T, name: OWNER_CHAIN, handle: 10 } },
      { rule: { ...T, chain: OWNER_CHAIN, handle: 11, comment: 'nftlens/v1 owner=x digest=000000000000000000000000', expr: [{ accept: null }] } },
      { chain: { ...T, name: 'c', handle: 12, type: 'filter', hook: 'forward', prio: 0, policy: 'drop', comment: 'x' } },
      { rule: { expr: rule('10.0.0.1', 0).rule.expr, comment: 'to-10.0.0.1', chain: 'c', table: 't', family: 'ip', handle: 99 } },
      rule('10.0.0.2', 5000),
    ]);
    expect(same.text).toBe(base);
  });

  it('keeps rule order, every match, comments, chain properties and other objects', () => {
    const variants = [
      listing(rule('10.0.0.2', 4), rule('10.0.0.1', 3)),
      listing(rule('10.0.0.1', 3), rule('10.0.0.3', 4)),
      listing(rule('10.0.0.1', 3), rule('10.0.0.2', 4, { comment: 'other' })),
      listing(rule('10.0.0.1', 3)),
      listing(rule('10.0.0.1', 3), rule('10.0.0.2', 4), rule('10.0.0.2', 5)),
      listing(rule('10.0.0.1', 3), rule('10.0.0.2', 4)).map((o) => ('chain' in o ? { chain: { ...(o.chain as object), policy: 'accept' } } : o)),
      [...listing(rule('10.0.0.1', 3), rule('10.0.0.2', 4)), { set: { ...T, name: 's', type: 'ipv4_addr', handle: 7 } }],
      listing(rule('10.0.0.1', 3), { rule: { ...rule('10.0.0.2', 4).rule, expr: [match('10.0.0.2'), { counter: 'named' }, { accept: null }] } }),
    ];
    const texts = variants.map((v) => listingForm(v).text);
    for (const t of texts) expect(t).not.toBe(base);
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('writes each object as JSON of its sorted keys, whichever way it is built', () => {
    const body = { expr: [match('10.0.0.1'), { counter: { packets: 1, bytes: 2 } }, { accept: null }], table: 't', handle: 4, family: 'ip', comment: 'c', chain: 'c' };
    const sorted = { chain: 'c', comment: 'c', expr: [match('10.0.0.1'), { counter: null }, { accept: null }], family: 'ip', table: 't' };
    expect(listingForm([{ rule: body }]).text).toBe(JSON.stringify({ rule: sorted }));
    const other = { ...body, index: 0 }; // a key rules do not have: the general path
    const { table, ...rest } = sorted;
    expect(listingForm([{ rule: other }]).text).toBe(JSON.stringify({ rule: { ...rest, index: 0, table } }));
  });

  it('fingerprints are 24 hex digits, equal exactly for equal texts', () => {
    const a = listingForm(listing(rule('10.0.0.1', 3)));
    expect(a.fingerprint).toMatch(/^[0-9a-f]{24}$/);
    expect(listingForm(listing(rule('10.0.0.1', 8))).fingerprint).toBe(a.fingerprint);
    expect(listingForm(listing(rule('10.0.0.9', 3))).fingerprint).not.toBe(a.fingerprint);
  });
});

describe('renderedTable', () => {
  it('serialises each command once, meaning the same to nft, and has the form of its own listing', async () => {
    const intent = await intentOf(fc('gw-f', [
      { name: 'a', action: 'accept', dst: '10.42.1.15' },
      { name: 'b', action: 'drop', dst: '10.42.2.0/24' },
    ]));
    const r = renderedTable(intent.ruleset.tables[0]!);
    expect(r.texts.length).toBe(r.commands.length);
    r.texts.forEach((text, i) => expect(JSON.parse(text)).toEqual(r.commands[i]));
    // listed back as nft prints it: one table object, handles and counter values added
    let handle = 0;
    const listed = r.commands
      .filter((c) => 'add' in c)
      .map((c) => Object.entries((c as { add: Record<string, Record<string, unknown>> }).add)[0]!)
      .map(([kind, body]) => ({ [kind]: { ...body, handle: ++handle, ...(kind === 'rule' ? { expr: (body.expr as object[]).map((e) => ('counter' in e ? { counter: { packets: 1, bytes: 2 } } : e)) } : {}) } }))
      .filter((o, i, all) => !('table' in o) || all.findIndex((x) => 'table' in x) === i);
    expect(listingForm(listed).text).toBe(r.form.text);
  });
});
