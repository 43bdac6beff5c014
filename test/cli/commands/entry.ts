// The CLI's entry point from the sources (bin/nftlens.js runs the built one from dist/).
import { main } from '../../../src/cli/main.js';

main(process.argv).then((code) => {
  process.exitCode = code;
});
