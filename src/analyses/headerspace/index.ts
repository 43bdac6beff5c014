// Header spaces: exact sets of packet headers (BDDs in the analyzer core) and the symbolic
// reading of IR matches. The base of the shadowing, redundancy, isolation and diff analyses.
export { HeaderSpace, type Space, type HeaderSpaceOptions, type SpaceStats } from './space.js';
export { matchSpace, matchesSpace, ruleMatchSpace, ifnamePatterns, headerSpaceFor, type RuleMatchSpace } from './encode.js';
export { firstMatchSpaces, forEachFirstMatch, type FirstMatch } from './reach.js';
export { IfnameAlphabet, type IfClass } from './ifnames.js';
export { FIELD_NAMES, Layout, type FieldName, type FieldVars } from './layout.js';
export type { DescribeOptions } from './describe.js';
