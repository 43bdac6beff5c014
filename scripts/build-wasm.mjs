// Builds every WebAssembly module of the core: assembly/<name>/index.ts → build/<name>.wasm,
// with the release target of asconfig.json. Skips a module whose output is newer than its sources.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const asc = join(root, 'node_modules', '.bin', 'asc');
const force = process.argv.includes('--force');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const assembly = join(root, 'assembly');
// Sources outside assembly/ that the modules import (the engine's layout is shared with TS).
const imported = [join(root, 'src', 'engine', 'layout.ts')];
const shared = Math.max(statSync(join(root, 'asconfig.json')).mtimeMs, newest(assembly), ...imported.map((f) => statSync(f).mtimeMs));
for (const e of readdirSync(assembly, { withFileTypes: true })) {
  const entry = join(assembly, e.name, 'index.ts');
  if (!e.isDirectory() || !existsSync(entry)) continue;
  const out = join(root, 'build', `${e.name}.wasm`);
  if (!force && existsSync(out) && statSync(out).mtimeMs >= shared) continue;
  execFileSync(asc, [entry, '--config', join(root, 'asconfig.json'), '--target', 'release', '-o', out], {
    stdio: 'inherit',
  });
}
