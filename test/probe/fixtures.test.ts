// Every valid Liqo fixture, probed with a packet from each rule plus random ones (see
// fixture-suite.ts); the basic nftables fixtures run in fixtures-nftables.test.ts, in parallel.
import { fixtureFiles, fixtureSuite } from './fixture-suite.js';

await fixtureSuite('probe: Liqo fixtures, engine against kernel', fixtureFiles('liqo/valid', /\.ya?ml$/));
