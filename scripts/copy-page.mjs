// Copies the web page's static files (src/services/web/page/: HTML, one ES module, CSS) next to
// the compiled plugin in dist/, where it reads them from: tsc compiles only TypeScript.
import { cpSync, rmSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const to = new URL('dist/services/web/page/', root);
rmSync(to, { recursive: true, force: true });
cpSync(new URL('src/services/web/page/', root), to, { recursive: true });
