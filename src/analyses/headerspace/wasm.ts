// Loading the analyzer core (build/analyzer.wasm, from assembly/analyzer/): one compiled module
// per process, one instance per HeaderSpace (each has its own node table and layout). The
// exports take and return numbers only; node ids are i32, and -1 means "node table full".

import { readFileSync } from 'node:fs';

export interface AnalyzerExports {
  memory: WebAssembly.Memory;
  init(ifnameBits: number, maxNodes: number, cacheLog2: number): number;
  variables(): number;
  io(): number;
  out(): number;
  fieldFirst(field: number): number;
  fieldWidth(field: number): number;
  and(a: number, b: number): number;
  or(a: number, b: number): number;
  diff(a: number, b: number): number;
  xor(a: number, b: number): number;
  not(a: number): number;
  quantBegin(): void;
  quantAdd(first: number, width: number): void;
  exists(n: number): number;
  satCount(n: number): number;
  range(first: number, width: number): number;
  member(n: number): number;
  fieldMinAtLeast(n: number, first: number, width: number): number;
  fieldRestrict(n: number, first: number, width: number): number;
  cubes(n: number, max: number): number;
  cubesTruncated(): number;
  ref(n: number): void;
  deref(n: number): void;
  collect(grow: number): number;
  size(n: number): number;
  liveNodes(): number;
  capacity(): number;
  maxNodes(): number;
  usedBytes(): number;
  [global: `FIELD_${string}`]: WebAssembly.Global;
}

let compiled: WebAssembly.Module | undefined;

/** A fresh instance of the analyzer core (not yet initialised). */
export function instantiate(): AnalyzerExports {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('../../../build/analyzer.wasm', import.meta.url)));
  const instance = new WebAssembly.Instance(compiled, {
    env: {
      abort(): never {
        throw new Error('analyzer.wasm aborted');
      },
    },
  });
  return instance.exports as unknown as AnalyzerExports;
}
