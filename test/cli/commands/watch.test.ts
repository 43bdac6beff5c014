// `nftlens watch` as a process, against the kernel in a throwaway namespace: JSON-line logs on
// stderr, the metrics endpoint on loopback serving the watch's metrics over real HTTP, drift seen
// and healed, and SIGTERM or SIGINT ending it cleanly (exit 0, monitor child gone, endpoint closed).
// Bad options end with a clear message before anything runs.
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { noKernel, suiteNetns } from '../../support/kernel.js';
import { cli } from '../../support/cli.js';
import { loadRuleset } from '../../../src/frontends/load.js';
import { apply, intentFrom, verify } from '../../../src/backends/gateway/index.js';
import { alive, spawnCli } from './spawn.js';

const POLICY = 'examples/provider-protect-single-consumer.yaml';

describe('nftlens watch: options', () => {
  it('refuses a non-loopback metrics address, a bad interval and a bad log level', async () => {
    for (const [args, message] of [
      [['--metrics', '0.0.0.0:9469'], /--metrics <host:port>': 0\.0\.0\.0 is not a loopback address/],
      [['--metrics', 'example.org:80'], /is not an IP address/],
      [['--interval', '0s'], /expected a duration/],
      [['--interval', '1s; reboot'], /expected a duration/],
      [['--log-level', 'loud'], /Allowed choices are fatal, error/],
    ] as const) {
      const r = await cli(['watch', '-f', POLICY, ...args]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
  });
});

describe.skipIf(noKernel)('nftlens watch (kernel, a real process)', () => {
  const ns = suiteNetns('gwwcli');

  it('logs, serves metrics on loopback, heals, and stops on SIGTERM with exit 0', async () => {
    const intent = intentFrom(await loadRuleset([POLICY]));
    expect((await apply(intent, { netns: ns.name })).failure).toBeUndefined();
    const child = spawnCli(['watch', '-f', POLICY, '--netns', ns.name, '--interval', '1s', '--heal', '--metrics', '127.0.0.1:0', '--log-level', 'debug']);
    const logs: Record<string, unknown>[] = [];
    const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      const l = JSON.parse(line) as Record<string, unknown>; // every stderr line is a JSON log line
      logs.push(l);
      for (const w of [...waiters]) if (w.pred(l)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    });
    const next = (pred: (l: Record<string, unknown>) => boolean) => new Promise<Record<string, unknown>>((resolve) => {
      const had = logs.find(pred);
      if (had) resolve(had);
      else waiters.push({ pred, resolve });
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      const watching = await next((l) => l.msg === 'watching');
      const url = watching.metrics as string;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const monitor = (await next((l) => l.msg === 'nft monitor started')).pid as number;
      await next((l) => l.msg === 'in sync');
      expect(alive(monitor)).toBe(true);

      await ns.nft(['flush', 'chain', 'ip', 'provider-protection-venice', 'offloaded-pods-only']);
      expect(await next((l) => l.msg === 'drift detected')).toMatchObject({ level: 40, table: 'ip provider-protection-venice' });
      await next((l) => typeof l.msg === 'string' && l.msg.startsWith('healed'));
      expect((await verify(intent, { netns: ns.name })).inSync).toBe(true);

      const res = await fetch(url);
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(body).toContain('nftlens_drift_detected_total{table="ip provider-protection-venice"} 1');
      expect(body).toMatch(/nftlens_sync_rules_duration_seconds_count\{op="heal"\} 1/);
      expect(body).toContain('nftlens_sync_rules_nftables_total{table="ip provider-protection-venice"} 6');
      expect(body).toMatch(/nftlens_sync_rules_last_timestamp_seconds \d{10}/);

      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(logs.find((l) => l.msg === 'stopping')).toMatchObject({ signal: 'SIGTERM' });
      expect(alive(monitor)).toBe(false);
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('SIGINT also stops it with exit 0', async () => {
    const child = spawnCli(['watch', '-f', POLICY, '--netns', ns.name, '--interval', '1s', '--log-level', 'debug']);
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    let monitor = 0;
    await new Promise<void>((resolve) => {
      createInterface({ input: child.stderr! }).on('line', (line) => {
        const l = JSON.parse(line) as { msg: string; pid?: number };
        if (l.msg === 'nft monitor started') monitor = l.pid!;
        if (l.msg === 'in sync' || l.msg === 'drift detected') resolve(); // the first check is done
      });
    });
    child.kill('SIGINT');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(monitor).toBeGreaterThan(0);
    expect(alive(monitor)).toBe(false);
  });
});
