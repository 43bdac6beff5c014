#!/usr/bin/env node
// Entry point of the `nftlens` command: runs the compiled CLI from dist/ (built by `npm run build`).
// Output to a closed pipe (`nftlens analyze -o json | head -c 10`) ends quietly with 0: the reader
// has all it wanted.
import { main } from '../dist/cli/main.js';

for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    process.exit(e.code === 'EPIPE' ? 0 : 3); // another output failure: the environment
  });
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
