#!/usr/bin/env node
// Entry point of the `nftlens` command: runs the compiled CLI from dist/ (built by `npm run build`).
import { main } from '../dist/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
