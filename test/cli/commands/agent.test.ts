// `nftlens agent` as a real process against the API server fake and a throwaway namespace:
// it logs JSON lines, becomes ready (/readyz 503 → 200), applies a resource, serves /metrics
// (gateway and agent metrics, queue depth), and on SIGTERM finishes and exits 0 with the endpoint
// closed. Usage errors exit 2 without a stack.
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { noKernel, suiteNetns } from '../../support/kernel.js';
import { cli } from '../../support/cli.js';
import { tableNames } from '../../backends/gateway/support.js';
import { fakeCluster, fcObject, waitFor } from '../../services/agent/support.js';
import { spawnCli } from './spawn.js';

describe('nftlens agent: usage', () => {
  it('refuses a non-loopback --listen, a bad --selector and a missing kubeconfig with exit 2', async () => {
    for (const args of [['--listen', '0.0.0.0:9464'], ['--selector', 'a=b c'], ['--kubeconfig', '/nonexistent/kubeconfig']]) {
      const r = await cli(['agent', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe.skipIf(noKernel)('nftlens agent (kernel, API server fake, a real process)', () => {
  const ns = suiteNetns('kagcli');

  it('becomes ready, applies, serves metrics, and stops on SIGTERM with exit 0', async () => {
    const c = await fakeCluster();
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawnCli(['agent', '--kubeconfig', c.api.writeKubeconfig(), '--netns', ns.name, '--host', 'gw-cli', '--remote-cluster-id', 'venice', '--listen', `127.0.0.1:${port}`, '--resync', '2s']);
    const logs: Record<string, unknown>[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor('/healthz', async () => (await fetch(`${base}/healthz`)).status === 200);
      await waitFor('/readyz', async () => (await fetch(`${base}/readyz`)).status === 200);
      await c.kube.createFirewallConfiguration(fcObject('cli', 'kg-cli', [{ name: 'a', action: 'accept', dst: '10.1.2.3' }]));
      await waitFor('the table', async () => (await tableNames(ns)).includes('ip kg-cli'));
      await waitFor('applied logged', () => logs.some((l) => l.msg === 'applied and verified'));
      const body = await (await fetch(`${base}/metrics`)).text();
      expect(body).toMatch(/nftlens_agent_applies_total 1/);
      expect(body).toContain('nftlens_agent_queue_depth');
      expect(body).toMatch(/nftlens_agent_reconcile_total\{result="success"\} [1-9]/);
      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(logs.find((l) => l.msg === 'stopping: finishing the reconciles in flight')).toMatchObject({ signal: 'SIGTERM' });
      await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    } finally {
      child.kill('SIGKILL');
      await c.api.close();
    }
  });
});
