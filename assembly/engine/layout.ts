// The memory layout shared with the TypeScript side: one definition, in src/engine/layout.ts.
export * from '../../src/engine/layout';
