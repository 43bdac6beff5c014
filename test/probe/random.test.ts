// Random rulesets #1–#25 on the forward path (filter chains, regular chains, marks, notrack,
// dnat/snat/masquerade), ≥ 500 packets each: engine and kernel agree on every delivery, every NAT
// rewrite seen at the sink and every counter. #26–#50 run in random-2.test.ts, in parallel.
import { randomSuite } from './random-suite.js';

randomSuite(1, 25);
