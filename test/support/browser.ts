// Browser tests run in real headless Chromium (Debian's `chromium`, driven by playwright-core)
// wherever it is installed; elsewhere they are skipped with the reason — except in CI (CI=true),
// where a missing browser is a failure (scripts/system-deps.sh installs it there).
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const executablePath = process.env.NFTLENS_CHROMIUM ?? CANDIDATES.find((p) => existsSync(p));

const reason = executablePath && existsSync(executablePath) ? undefined : `no chromium at ${process.env.NFTLENS_CHROMIUM ?? CANDIDATES.join(' or ')}`;
if (reason && process.env.CI) throw new Error(`browser tests cannot run in CI: ${reason}`);
if (reason) console.warn(`skipping browser tests: ${reason} (apt-get install chromium, or set NFTLENS_CHROMIUM)`);

/** Pass to `describe.skipIf(noBrowser)`. */
export const noBrowser = reason !== undefined;

/** Headless Chromium. `--no-sandbox`: Chromium's sandbox refuses to start as root, and CI runs the suite as root (for the kernel tests). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: executablePath!, headless: true, args: ['--no-sandbox'] });
}
