// Rulesets with maps — named and anonymous verdict maps keyed by one field, by a concatenation and
// by intervals, with accept/drop/jump/goto values; an empty named map; mark and NAT (netmap) data
// maps; a counter before a lookup — as the kernel lists them (JSON from nft 1.0.6, next to the .nft
// they were loaded from): probed with a packet for every map element plus random ones, engine and
// kernel agree on every packet and counter.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureSuite } from './fixture-suite.js';

const DIR = join(import.meta.dirname, 'fixtures');
await fixtureSuite('probe: map fixtures, engine against kernel', readdirSync(DIR).filter((f) => f.startsWith('maps-') && f.endsWith('.json')).map((f) => join(DIR, f)), 200);
