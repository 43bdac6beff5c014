// Random rulesets #26–#50 (see random.test.ts), in a second worker so both halves run at once.
import { randomSuite } from './random-suite.js';

randomSuite(26, 50);
