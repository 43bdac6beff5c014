// Every basic nftables fixture, probed with a packet from each rule plus random ones (see
// fixture-suite.ts): engine and kernel agree on every packet and counter.
import { fixtureFiles, fixtureSuite } from './fixture-suite.js';

await fixtureSuite('probe: basic nftables fixtures, engine against kernel', fixtureFiles('nftables/basic', /\.json$/));
