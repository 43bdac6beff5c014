// Rulesets with named and anonymous sets (addresses v4/v6 with prefixes and ranges, ports, protocols,
// interface-name wildcards, ct states, marks; `==` and `!=`), as the kernel lists them (JSON from
// nft 1.0.6, next to the .nft they were loaded from): probed with a packet from each rule plus random
// ones, engine and kernel agree on every packet and counter.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureSuite } from './fixture-suite.js';

const DIR = join(import.meta.dirname, 'fixtures');
await fixtureSuite('probe: set fixtures, engine against kernel', readdirSync(DIR).filter((f) => f.startsWith('sets-') && f.endsWith('.json')).map((f) => join(DIR, f)), 200);
