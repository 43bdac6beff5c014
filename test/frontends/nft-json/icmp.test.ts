// ICMP type/code/checksum read as the transport words the model (and Liqo's port matches) use,
// and the kernel round trip that needs it: nft lists `meta l4proto icmp th dport X` back as
// `icmp checksum X`, and `th sport & 0xff00 == 0x0800` as `icmp type echo-request`.
import { describe, expect, it } from 'vitest';
import { withNetns } from '../../../src/backends/netns/netns.js';
import { listRuleset, loadRuleset } from '../../../src/backends/nft/nft.js';
import { renderNftJson } from '../../../src/backends/nft/render-json.js';
import { importNftJson } from '../../../src/frontends/nft-json/index.js';
import { diffRulesets } from '../../../src/model/canonical.js';
import type { Match, Ruleset } from '../../../src/model/ruleset.js';
import { noKernel } from '../../support/kernel.js';

const origin = { file: 't' };
const match = (m: Omit<Match, 'kind' | 'origin'>): Match => ({ kind: 'match', ...m, origin });

function importOne(expr: unknown[], family = 'ip'): unknown[] {
  const doc = {
    nftables: [
      { table: { family, name: 't', handle: 1 } },
      { chain: { family, table: 't', name: 'c', handle: 1, type: 'filter', hook: 'input', prio: 0, policy: 'accept' } },
      { rule: { family, table: 't', chain: 'c', handle: 2, expr } },
    ],
  };
  const rule = importNftJson(doc, 'x.json').ruleset.tables[0]!.chains[0]!.rules[0]!;
  return rule.exprs.map((e) => ({ ...e, origin: undefined }));
}

const payload = (protocol: string, field: string) => ({ payload: { protocol, field } });

describe('icmp and icmpv6 header fields', () => {
  it('reads type and code as masked transport words, checksum as th dport', () => {
    expect(importOne([{ match: { op: '==', left: payload('icmp', 'type'), right: 'echo-request' } }])).toEqual([
      { kind: 'match', field: 'meta nfproto', op: '==', value: 'ipv4', origin: undefined },
      { kind: 'match', field: 'meta l4proto', op: '==', value: 1, origin: undefined },
      { kind: 'match', field: 'th sport', op: '==', mask: 0xff00, value: 0x0800, origin: undefined },
    ]);
    expect(importOne([{ match: { op: '!=', left: payload('icmpv6', 'code'), right: { set: ['no-route', 4] } } }], 'ip6')).toEqual([
      { kind: 'match', field: 'meta nfproto', op: '==', value: 'ipv6', origin: undefined },
      { kind: 'match', field: 'meta l4proto', op: '==', value: 58, origin: undefined },
      { kind: 'match', field: 'th sport', op: '!=', mask: 0x00ff, value: { set: [0, 4] }, origin: undefined },
    ]);
    expect(importOne([{ match: { op: '==', left: payload('icmp', 'checksum'), right: { range: [10, 20] } } }])).toEqual([
      { kind: 'match', field: 'meta nfproto', op: '==', value: 'ipv4', origin: undefined },
      { kind: 'match', field: 'meta l4proto', op: '==', value: 1, origin: undefined },
      { kind: 'match', field: 'th dport', op: '==', value: { range: [10, 20] }, origin: undefined },
    ]);
  });

  it('refuses an unknown name and a type that does not fit a byte, located', () => {
    expect(() => importOne([{ match: { op: '==', left: payload('icmp', 'type'), right: 'no-such-type' } }])).toThrow(
      /x\.json table ip t, chain c, rule handle 2, field nftables\[2\]\.rule\.expr\[0\]\.right: "no-such-type" is not an icmp type/,
    );
    expect(() => importOne([{ match: { op: '==', left: payload('icmp', 'type'), right: 300 } }])).toThrow(/does not fit one byte/);
  });
});

describe.skipIf(noKernel)('icmp transport words: kernel round trip', () => {
  it('comes back from the kernel as the same model', async () => {
    // ip and ip6 tables: in an inet table nft 1.0.6 lists `meta l4proto icmp th dport X` and
    // `icmp checksum X` (which also tests nfproto) alike, so the import reads nft's meaning there.
    const base = { type: 'filter', hook: 'input', priority: 0, policy: 'accept' } as const;
    const rs: Ruleset = {
      tables: [
        {
          family: 'ip', name: 'icmp', origin,
          chains: [{
            name: 'in', origin, base,
            rules: [
              { origin, exprs: [match({ field: 'meta l4proto', op: '==', value: 1 }), match({ field: 'th dport', op: '==', value: 0x1234 })], verdict: { kind: 'drop', origin } },
              { origin, exprs: [match({ field: 'meta l4proto', op: '==', value: 1 }), match({ field: 'th sport', op: '==', mask: 0xff00, value: 0x0800 })], verdict: { kind: 'accept', origin } },
            ],
          }],
        },
        {
          family: 'ip6', name: 'icmp', origin,
          chains: [{
            name: 'in', origin, base,
            rules: [
              { origin, exprs: [match({ field: 'meta l4proto', op: '==', value: 58 }), match({ field: 'th sport', op: '!=', mask: 0x00ff, value: 4 })], verdict: { kind: 'drop', origin } },
            ],
          }],
        },
      ],
    };
    const back = await withNetns('icmp', async (ns) => {
      await loadRuleset(renderNftJson(rs), { netns: ns.name });
      return listRuleset({ netns: ns.name });
    });
    expect(diffRulesets(rs, back)).toEqual([]);
  });
});
