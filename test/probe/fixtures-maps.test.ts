// Rulesets with maps — named and anonymous verdict maps keyed by one field, by a concatenation, by
// intervals or by `iif`, with accept/drop/jump/goto values and catch-all elements; an empty named
// map; mark and NAT (netmap) data maps; a counter before a lookup — as the kernel lists them (JSON
// from nft 1.0.6, next to the .nft they were loaded from; and the nft test suite's map fixtures of
// the shared corpus): probed with a packet for every map element plus random ones, engine and
// kernel agree on every packet and counter.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureFiles, fixtureSuite } from './fixture-suite.js';

const DIR = join(import.meta.dirname, 'fixtures');
const OWN = readdirSync(DIR).filter((f) => f.startsWith('maps-') && f.endsWith('.json')).map((f) => join(DIR, f));
const SUITE = fixtureFiles('nftables/advanced', /^(maps-0011vmap_0|maps-anonymous_snat_map_0|sets-0046netmap_0|sets-sets_with_ifnames)\.json$/);
await fixtureSuite('probe: map fixtures, engine against kernel', [...OWN, ...SUITE], 200);
