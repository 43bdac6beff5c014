// The model: the Ruleset IR, its values, source locations and diagnostics.
export * from './ruleset.js';
export * from './origin.js';
export * from './diagnostics.js';
export * from './values.js';
