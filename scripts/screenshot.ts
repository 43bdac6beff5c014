// Takes the README's screenshot of the what-if page (docs/images/what-if.png): the real server on
// an ephemeral loopback port with the embedded examples and the monitoring change of
// docs/examples, the page driven in headless Chromium (NFTLENS_CHROMIUM, default /usr/bin/chromium)
// through a packet's evaluation, the analysis, a breach of tenant isolation and a diff.
//   npx tsx scripts/screenshot.ts [OUT.png]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer } from '../src/services/api/server.js';

const out = resolve(process.argv[2] ?? new URL('../docs/images/what-if.png', import.meta.url).pathname);
// From the repository, so that the page shows file names as the README's commands do.
process.chdir(new URL('..', import.meta.url).pathname);
const server = await startServer({ host: '127.0.0.1', port: 0, policies: [['examples', []], ['monitoring', ['docs/examples/multi-consumer-monitoring.yaml']]], workers: 1 });
// --no-sandbox: Chromium's sandbox refuses to run as root (as CI and this machine's scripts run).
const browser = await chromium.launch({ executablePath: process.env.NFTLENS_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(`${server.url}/?policy=monitoring`);
  await page.locator('#rules .rule').first().waitFor();
  await page.click('#analyze');
  await page.locator('#findings-summary:not(:empty)').waitFor();
  await page.fill('#tenants', readFileSync('examples/tenants', 'utf8'));
  await page.click('#isolation-button');
  await page.locator('#matrix .cell.breach').first().click();
  await page.selectOption('#diff-old', 'examples');
  await page.selectOption('#diff-new', 'monitoring');
  await page.click('#diff-button');
  await page.locator('#diff li').first().waitFor();
  await page.locator('#breach').getByRole('button', { name: /Evaluate witness/ }).click();
  await page.locator('#verdict .verdict').waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
