// Loading build/engine.wasm: the module is compiled once per process; each classifier gets its
// own instance (its own memory), sized once, so typed-array views made at start stay valid.
// A build of another layout version is refused with a clear message.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NftlensError } from '../model/diagnostics.js';
import { LAYOUT_VERSION } from './layout.js';

export interface EngineExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  layoutVersion(): number;
  evaluate(program: number, batch: number, stride: number, n: number, counters: number, trace: number, traceCap: number): number;
  /** The state word packets start from (src/engine/state.ts); 0 unless asked. */
  setStateWord(word: number): void;
  drawsAt(): number;
  drawCount(): number;
}

let cached: WebAssembly.Module | undefined;

/** build/engine.wasm, two levels above this module (src/engine or dist/engine). */
export const ENGINE_WASM = fileURLToPath(new URL('../../build/engine.wasm', import.meta.url));

/** build/engine.wasm compiled (once per process); a worker thread is given it instead (engine/pool.ts). */
export function engineModule(): WebAssembly.Module {
  if (!cached) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(ENGINE_WASM);
    } catch {
      throw NftlensError.of('INPUT_READ', 'the engine is not built: run `npm run build:wasm`', { file: ENGINE_WASM });
    }
    cached = new WebAssembly.Module(new Uint8Array(bytes));
  }
  return cached;
}

/** A fresh engine instance (of `module`, by default build/engine.wasm) whose memory holds at least `bytes` past the module's own data. */
export function instantiate(bytes: number, module = engineModule()): { exports: EngineExports; base: number } {
  const exports = new WebAssembly.Instance(module, {}).exports as unknown as EngineExports;
  if (exports.layoutVersion() !== LAYOUT_VERSION) {
    throw NftlensError.of('MODEL_INVALID', `build/engine.wasm has layout ${exports.layoutVersion()}, the code expects ${LAYOUT_VERSION}: run \`npm run build:wasm -- --force\``, { file: ENGINE_WASM });
  }
  const base = (exports.heapBase() + 15) & ~15;
  const need = base + bytes;
  const have = exports.memory.buffer.byteLength;
  if (need > have) exports.memory.grow(Math.ceil((need - have) / 65536));
  return { exports, base };
}
