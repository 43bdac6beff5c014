// The watch loop without a kernel: monitor lines parsed and filtered to the owned tables, a burst
// of owned events debounced into one check, foreign events ignored, syncs never overlapping, heal
// called only on drift, and the monitor child gone after stop(). A fake `nft` prints the lines.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMonitorLine } from '../../../src/backends/gateway/monitor.js';
import { createLogger, GatewayMetrics } from '../../../src/backends/gateway/telemetry.js';
import { Watcher, type SyncCheck } from '../../../src/backends/gateway/watch.js';
import { alive } from '../../cli/commands/spawn.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('parseMonitorLine', () => {
  it('names the table of table, chain and rule events', () => {
    expect(parseMonitorLine('{"add": {"table": {"family": "ip", "name": "foo", "handle": 1}}}')).toEqual({ op: 'add', object: 'table', table: 'ip foo' });
    expect(parseMonitorLine('{"delete": {"rule": {"family": "inet", "table": "t x", "chain": "c", "handle": 2, "expr": []}}}'))
      .toEqual({ op: 'delete', object: 'rule', table: 'inet t x' });
    expect(parseMonitorLine('{"add": {"chain": {"family": "ip6", "table": "n", "name": "c"}}}')?.table).toBe('ip6 n');
  });
  it('names with quotes, newlines, spaces and unicode come out as tableId spells them', () => {
    for (const name of ['a"b', 'x\ny', 'two words', 'tëst-☃', '; nft flush ruleset #']) {
      const line = JSON.stringify({ add: { rule: { family: 'inet', table: name, chain: 'c', handle: 1, expr: [] } } });
      expect(parseMonitorLine(line)?.table).toBe(`inet ${name}`);
    }
  });
  it('ignores what is not a ruleset event', () => {
    for (const l of ['', 'not json', '[]', '{}', 'null', '{"add": 1}', '{"add": {"table": {"name": "x"}}}', '{"add": {"rule": {"family": "ip", "table": 3}}}']) {
      expect(parseMonitorLine(l)).toBeUndefined();
    }
  });
});

describe('Watcher (fake nft monitor)', () => {
  let dir: string;
  let fakeNft: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nftlens-watch-'));
    fakeNft = join(dir, 'nft');
    // 2000 foreign events, then 50 owned ones in a burst, then silence until killed.
    await writeFile(fakeNft, [
      '#!/bin/sh',
      'i=0; while [ $i -lt 2000 ]; do echo \'{"add": {"rule": {"family": "ip", "table": "kube-proxy", "chain": "c", "handle": 9}}}\'; i=$((i+1)); done',
      'sleep 0.3',
      'i=0; while [ $i -lt 50 ]; do echo \'{"delete": {"rule": {"family": "ip", "table": "mine", "chain": "c", "handle": 9}}}\'; i=$((i+1)); done',
      'exec sleep 1000',
    ].join('\n'), 'utf8');
    await chmod(fakeNft, 0o755);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a burst of owned events is one check; foreign events none; heal only on drift; stop kills the child', async () => {
    const log = new PassThrough();
    const lines: string[] = [];
    log.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
    const metrics = new GatewayMetrics();
    const triggers: string[] = [];
    let drifted = false;
    let heals = 0;
    let running = 0;
    let overlap = false;
    const check = async (): Promise<SyncCheck> => {
      running++;
      if (running > 1) overlap = true;
      await sleep(30);
      running--;
      return { inSync: !drifted, tables: [{ id: 'ip mine', inSync: !drifted, structural: drifted ? ['rule 1 missing'] : [] }] };
    };
    const w = new Watcher({
      tables: ['ip mine'], ruleCounts: new Map([['ip mine', 3]]), check, intervalMs: 60_000, debounceMs: 100,
      heal: async () => {
        heals++;
        drifted = false;
        return { ok: true };
      },
      log: createLogger(log, 'debug'), metrics, nftPath: fakeNft,
    });
    w.onSync((r) => triggers.push(r.trigger));
    drifted = true;
    await w.start();
    expect(triggers).toEqual(['start']);
    expect(heals).toBe(1);
    await sleep(1200);
    expect(triggers).toEqual(['start', 'delete rule ip mine']);
    expect(heals).toBe(1); // in sync again: no second heal
    expect(overlap).toBe(false);
    const pid = w.monitorPid!;
    expect(alive(pid)).toBe(true);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/nftlens_monitor_events_total\{kind="ignored"\} 2000/);
    expect(text).toMatch(/nftlens_monitor_events_total\{kind="owned"\} 50/);
    expect(text).toMatch(/nftlens_drift_detected_total\{table="ip mine"\} 1/);
    expect(text).toMatch(/nftlens_sync_rules_nftables_total\{table="ip mine"\} 3/);
    expect(text).toMatch(/nftlens_sync_rules_duration_seconds_count\{op="check"\} 2/);
    expect(text).toMatch(/nftlens_sync_rules_duration_seconds_count\{op="heal"\} 1/);
    await w.stop();
    expect(alive(pid)).toBe(false);
    const logs = lines.map((l) => JSON.parse(l));
    expect(logs.find((l) => l.msg === 'drift detected')).toMatchObject({ level: 40, table: 'ip mine', differences: ['rule 1 missing'], name: 'nftlens' });
    expect(logs.some((l) => l.msg.startsWith('healed'))).toBe(true);
  });

  it('a failing check and a failing heal are counted and logged, and the loop goes on', async () => {
    const metrics = new GatewayMetrics();
    let n = 0;
    const w = new Watcher({
      tables: ['ip mine'], intervalMs: 50, monitor: false, log: createLogger(new PassThrough(), 'silent'), metrics,
      check: async () => {
        n++;
        if (n === 1) throw new Error('nft: listing failed');
        return { inSync: false, tables: [{ id: 'ip mine', inSync: false, structural: [], missing: true }] };
      },
      heal: async () => ({ ok: false, message: 'rejected' }),
    });
    await w.start();
    await sleep(300);
    await w.stop();
    expect(n).toBeGreaterThanOrEqual(3);
    expect(w.history[0]!.error).toBe('nft: listing failed');
    expect(w.history[1]).toMatchObject({ inSync: false, drifted: ['ip mine'], healed: false });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/nftlens_sync_rules_failures_total\{op="check"\} 1/);
    expect(text).toMatch(/nftlens_sync_rules_failures_total\{op="heal"\} [1-9]/);
    expect(text).toMatch(/nftlens_in_sync\{table="ip mine"\} 0/);
  });
});
