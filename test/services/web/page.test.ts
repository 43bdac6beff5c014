// The what-if page end to end: the real server (`nftlens serve`'s startServer) on an ephemeral
// loopback port with the example policies, and the page clicked through in real headless
// Chromium. What the page shows is checked against what the API answers for the same question.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { startServer, type Running } from '../../../src/services/api/server.js';
import { launchBrowser, noBrowser } from '../../support/browser.js';

const root = new URL('../../../', import.meta.url).pathname;
const TENANTS = readFileSync(`${root}examples/tenants`, 'utf8');
const MONITORING = `${root}docs/examples/multi-consumer-monitoring.yaml`;
const VENICE_PACKET = 'tcp 10.112.0.5:40000 -> 10.42.1.15:80 iif liqo-tunnel oif eth0 ct new';
const LB = `${root}docs/examples/load-balancer.json`;

interface Result {
  verdict: string;
  by: string;
  rule?: { id: number; label: string };
  chain?: { id: number; label: string };
}

describe.skipIf(noBrowser)('the what-if page in headless Chromium', () => {
  let server: Running;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  async function api<T>(path: string, body: unknown): Promise<T> {
    const res = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return (await res.json()) as T;
  }

  beforeAll(async () => {
    server = await startServer({ host: '127.0.0.1', port: 0, policies: [['examples', []], ['monitoring', [MONITORING]]], workers: 1 });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    errors.length = 0;
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/`);
    await page.locator('#rules .rule').first().waitFor();
  });
  afterEach(async () => {
    await page.close();
    expect(errors).toEqual([]);
  });

  it('a packet whose verdict depends on state: every outcome listed with the ways the state took, the first drawn on the rules', async () => {
    const put = await fetch(`${server.url}/v1/policies/lb`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: readFileSync(LB, 'utf8') });
    expect(put.status).toBe(201);
    const expected = await api<{ verdict: string; outcomes: { state: string[]; verdict: string }[] }>('/v1/policies/lb/evaluate', { packet: 'tcp 10.1.0.9:40001 -> 10.244.1.5:22 iif eth0 oif eth1' });
    expect(expected.verdict).toBe('depends-on-state');
    await page.goto(`${server.url}/?policy=lb`);
    await expect.poll(() => page.locator('#policy').inputValue()).toBe('lb');
    await page.locator('#rules .rule').first().waitFor();
    await page.fill('#packet', 'tcp 10.1.0.9:40001 -> 10.244.1.5:22 iif eth0 oif eth1');
    await page.click('#evaluate-button');
    await page.locator('#verdict .outcomes li').first().waitFor();
    expect(await page.locator('#verdict .verdict.depends .badge').textContent()).toBe('DEPENDS ON STATE');
    const items = await page.locator('#verdict .outcomes li').allTextContents();
    expect(items.map((t) => [t.split(' ')[0], t.split(' — ')[1]])).toEqual(expected.outcomes.map((o) => [o.verdict.toUpperCase(), o.state.join('; ')]));
    expect(items[0]).toMatch(/^ACCEPT by inet lb fw rule handle 9 — limit rate 10\/minute burst 5 packets: holds/);
    expect(items[1]).toMatch(/^DROP by inet lb fw rule handle 10 — limit rate 10\/minute burst 5 packets: does not hold/);
    expect(await page.locator('#rules .rule.decided').count()).toBe(1);
    await fetch(`${server.url}/v1/policies/lb`, { method: 'DELETE' });
  });

  it('evaluates a packet: the verdict, its path, and the deciding rule highlighted on the policy\'s rules', async () => {
    const expected = await api<Result>('/v1/policies/examples/evaluate', { packet: VENICE_PACKET });
    expect(expected.by).toBe('rule');
    await page.fill('#packet', VENICE_PACKET);
    await page.click('#evaluate-button');
    const verdict = page.locator('#verdict .verdict');
    await verdict.waitFor();
    expect(await verdict.textContent()).toBe(`${expected.verdict.toUpperCase()} by ${expected.rule!.label}`);
    expect(await page.locator('#verdict .hooks li').allTextContents()).toEqual(['prerouting', 'forward', 'postrouting']);
    const decided = page.locator('#rules li.rule.decided');
    expect(await decided.count()).toBe(1);
    expect(await decided.getAttribute('data-rule')).toBe(String(expected.rule!.id));
    expect(await decided.locator('.rule-name').textContent()).toBe('allow-venice-to-10-42-1-15');
    // Both tables' forward chains ran (each accepts the packet; accept ends only its own chain).
    expect(await page.locator('#rules .chain.entered').count()).toBe(2);
    expect(await page.locator('#rules li.rule.matched').count()).toBe(2);
  });

  it('opens a finding\'s witness: one click evaluates it, and the verdict says what the API says', async () => {
    await page.click('#analyze');
    const first = page.locator('#findings li').first();
    await first.waitFor();
    const witness = (await first.locator('code.packet').last().textContent())!;
    expect(witness).toMatch(/^tcp .* -> /);
    await first.getByRole('button', { name: /Evaluate witness/ }).click();
    await expect.poll(() => page.inputValue('#packet')).toBe(witness);
    const expected = await api<Result>('/v1/policies/examples/evaluate', { packet: witness });
    // The example's finding: a naples rule shadowed by the venice table's policy drop.
    expect(expected).toMatchObject({ verdict: 'drop', by: 'policy' });
    await expect.poll(() => page.locator('#verdict .verdict').textContent()).toBe(`DROP by policy of ${expected.chain!.label}`);
    const decided = page.locator(`#rules .chain[data-chain="${expected.chain!.id}"] li.policy.decided`);
    expect(await decided.count()).toBe(1);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('verdict');
  });

  it('draws the tenant × tenant matrix; a breach cell opens its witness, which evaluates to the breach', async () => {
    await page.selectOption('#policy', 'monitoring');
    await expect.poll(() => page.locator('#policy-summary').textContent()).toMatch(/9 rule/);
    // Uploaded: the file's text lands in the field, where it can be read and edited.
    await page.setInputFiles('#tenants-file', `${root}examples/tenants`);
    await expect.poll(() => page.inputValue('#tenants')).toBe(TENANTS);
    await page.click('#isolation-button');
    await page.locator('#matrix .cell').first().waitFor();
    const expected = await api<{ breaches: { from: string; to: string; witness: string; decidedBy: string }[] }>('/v1/isolation', { policy: 'monitoring', tenants: TENANTS });
    expect(expected.breaches.length).toBe(2);
    expect(await page.locator('#matrix .cell').allTextContents()).toEqual(['self', 'BREACH', 'BREACH', 'self']);
    await page.getByRole('button', { name: 'venice to naples: BREACH, open its witness' }).click();
    const b = expected.breaches.find((x) => x.from === 'venice' && x.to === 'naples')!;
    await expect.poll(() => page.locator('#breach').textContent()).toContain(b.witness);
    expect(await page.locator('#breach').textContent()).toContain(`decided by ${b.decidedBy}`);
    await page.locator('#breach').getByRole('button', { name: /Evaluate witness/ }).click();
    await expect.poll(() => page.locator('#verdict .verdict').textContent()).toBe(`ACCEPT by ${b.decidedBy}`);
    expect(await page.locator('#rules li.rule.decided .rule-name').textContent()).toBe('allow-monitoring-subnet');
  });

  it('shows input errors in place, next to the input, as the located diagnostics', async () => {
    await page.fill('#packet', 'tcp nowhere -> 10.0.0.1');
    await page.click('#evaluate-button');
    const err = page.locator('#packet-error');
    await err.waitFor({ state: 'visible' });
    expect(await err.textContent()).toBe('error[INPUT_PARSE] field /packet: "nowhere" is not an IP address');
    expect(await page.locator('#verdict').textContent()).toBe('');
    // The input is described by its error (screen readers read it with the field).
    expect(await page.getAttribute('#packet', 'aria-describedby')).toContain('packet-error');

    await page.fill('#tenants', 'tenants:\n  venice:\n    sources: [not-an-address]\n    destinations: [10.42.1.15]\n    interfaces: [liqo-tunnel]\n');
    await page.click('#isolation-button');
    const terr = page.locator('#tenants-error');
    await terr.waitFor({ state: 'visible' });
    expect(await terr.textContent()).toBe('error[INPUT_PARSE] tenants resource tenant venice, field tenants.venice.sources: "not-an-address" is not an address, prefix or range');
    expect(await page.locator('#matrix').textContent()).toBe('');

    // Corrected, the error goes away.
    await page.fill('#packet', VENICE_PACKET);
    await page.click('#evaluate-button');
    await err.waitFor({ state: 'hidden' });
  });

  it('shows names from a policy as text, never as markup; an over-long packet is refused in place', async () => {
    // nft JSON carries any table or chain name: these would run script if drawn as HTML.
    const evil = '<img src=x onerror="window.pwned=1">';
    const doc = JSON.parse(readFileSync(`${root}docs/examples/shadowed.json`, 'utf8')) as { nftables: Record<string, Record<string, unknown>>[] };
    for (const o of doc.nftables) {
      if (o.table) o.table.name = evil;
      for (const k of ['chain', 'rule']) if (o[k]) Object.assign(o[k]!, { table: evil, [k === 'chain' ? 'name' : 'chain']: '<b>gate</b>' });
    }
    const put = await fetch(`${server.url}/v1/policies/hostile`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) });
    expect(put.status).toBe(201);
    try {
      await page.goto(`${server.url}/?policy=hostile`);
      await expect.poll(() => page.locator('#rules h3').first().textContent()).toBe(`table ip ${evil}`);
      await page.fill('#packet', 'tcp 10.1.0.1:1000 -> 10.0.0.2:22 iif eth0 oif eth1');
      await page.click('#evaluate-button');
      await expect.poll(() => page.locator('#verdict .verdict').textContent()).toBe(`ACCEPT by ip ${evil} <b>gate</b> rule handle 2`);
      expect(await page.locator('#rules .chain h4 span').first().textContent()).toBe('chain <b>gate</b>');
      expect(await page.locator('img, b').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();

      await page.fill('#packet', `tcp 10.1.0.1:1000 -> 10.0.0.2:22 iif ${'x'.repeat(5000)}`);
      await page.click('#evaluate-button');
      await expect.poll(() => page.locator('#packet-error').textContent()).toMatch(/^SCHEMA: .*\/packet/);
      expect(await page.locator('#verdict').textContent()).toBe('');
    } finally {
      await fetch(`${server.url}/v1/policies/hostile`, { method: 'DELETE' });
    }
  });

  it('diffs two policies, each change with its witness', async () => {
    await page.selectOption('#diff-old', 'examples');
    await page.selectOption('#diff-new', 'monitoring');
    await page.click('#diff-button');
    const change = page.locator('#diff li.card').first();
    await change.waitFor();
    expect(await change.locator('strong').first().textContent()).toBe('drop → accept');
    await change.getByRole('button', { name: /Evaluate witness/ }).click();
    await expect.poll(() => page.inputValue('#policy')).toBe('monitoring');
    await expect.poll(() => page.locator('#verdict .verdict').textContent()).toMatch(/^ACCEPT by /);
  });

  it('works by keyboard alone: focus order, Enter activates, arrows move in the matrix, focus is visible', async () => {
    const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.getAttribute('aria-label') || document.activeElement?.tagName);
    const order: (string | undefined)[] = [];
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      order.push(await focused());
    }
    expect(order).toEqual(['policy', 'packet', 'evaluate-button', 'analyze', 'tenants', 'tenants-file', 'isolation-button', 'diff-old', 'diff-new', 'diff-button']);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');

    // Type a packet and press Enter in the field: evaluated.
    await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('diff-new');
    for (let i = 0; i < 7; i++) await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('packet');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.insertText(VENICE_PACKET);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#verdict .verdict').textContent()).toMatch(/^ACCEPT by .* rule allow-venice-to-10-42-1-15$/);

    // Pick the policy with the arrow keys, type the tenants, press Enter on Check isolation.
    await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('policy');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.locator('#policy-summary').textContent()).toMatch(/9 rule/);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('tenants');
    await page.keyboard.insertText(TENANTS);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('isolation-button');
    await page.keyboard.press('Enter');
    await page.locator('#matrix .cell').first().waitFor();
    expect(await focused()).toBe('isolation-button');
    // Tab reaches the first cell; arrows move between cells; Enter opens the breach.
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('venice to venice: self');
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('naples to venice: BREACH, open its witness');
    await page.keyboard.press('ArrowRight');
    expect(await focused()).toBe('naples to naples: self');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowRight');
    expect(await focused()).toBe('venice to naples: BREACH, open its witness');
    await page.keyboard.press('Enter');
    expect(await focused()).toBe('breach');
    await page.keyboard.press('Tab');
    expect(await focused()).toMatch(/^Evaluate witness tcp 10\.112\.0\.1:1024 -> 10\.42\.1\.41:9100 /);
    await page.keyboard.press('Enter');
    await expect.poll(focused).toBe('verdict');
    expect(await page.locator('#verdict .verdict').textContent()).toMatch(/^ACCEPT by .* rule allow-monitoring-subnet$/);
  });
});
