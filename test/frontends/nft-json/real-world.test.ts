// The nft-JSON front end on the real-world rulesets (../shared/fixtures/nftables/real-world, listed
// by nft from real hosts): each imports, or names exactly the constructs nftlens still refuses, each
// with how many times. Grows as issue 12 models more of nftables.

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importNftJson } from '../../../src/frontends/nft-json/index.js';
import { NftlensError } from '../../../src/model/diagnostics.js';
import { sharedCorpus } from '../../support/corpus.js';

const DIR = sharedCorpus('fixtures/nftables/real-world/');

/** Per fixture: refused construct (named sets as @set, strings as "…") → occurrences. */
const REFUSED: Record<string, Record<string, number>> = {
  'calico-felix-vxlan-node': {},
  'docker-bridge-nat-dualstack': {},
  'docker-bridge-routed-icc-off': {},
  'firewalld-rhel8-libvirt': {},
  'kube-proxy-services': {},
  'liqo-gateway-rome': {},
  'nixos-tailscale-k8s-iptables-nft': {},
};

function refused(name: string): Record<string, number> {
  try {
    importNftJson(readFileSync(`${DIR}${name}.json`, 'utf8'), `${name}.json`);
    return {};
  } catch (e) {
    expect(e).toBeInstanceOf(NftlensError);
    const out: Record<string, number> = {};
    for (const d of (e as NftlensError).diagnostics.filter((x) => x.severity === 'error')) {
      expect(d.code).toBe('NFT_UNSUPPORTED');
      expect(d.origin.rule ?? d.origin.field).toBeTruthy();
      const k = d.message.replace(/^unsupported: /, '').split(' — ')[0]!.replace(/@\S+/, '@set').replace(/"[^"]*"/g, '"…"');
      out[k] = (out[k] ?? 0) + 1;
    }
    return out;
  }
}

describe.skipIf(!DIR)('real-world rulesets', () => {
  it('lists every real-world fixture', () => {
    expect(Object.keys(REFUSED).sort()).toEqual(readdirSync(DIR!).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort());
  });
  it.each(Object.entries(REFUSED))('%s: imports, or names exactly what it lacks', (name, want) => {
    expect(refused(name)).toEqual(want);
  });
});
