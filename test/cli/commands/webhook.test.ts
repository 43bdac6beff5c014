// `nftlens webhook` as a command: its usage errors (exit 2, located), and a real process serving
// AdmissionReviews over TLS with the other resources from --resources files, stopped by SIGTERM (exit 0).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { cli } from '../../support/cli.js';
import { makeTestCa } from '../../support/kube-fake/index.js';
import { objectsOf } from '../../support/liqo-fixtures.js';
import { spawnCli } from './spawn.js';

const ca = makeTestCa('cli-webhook');
const dir = mkdtempSync(join(tmpdir(), 'nftlens-webhook-cli-'));
const pair = ca.issue('nftlens-webhook');
writeFileSync(join(dir, 'tls.crt'), pair.cert);
writeFileSync(join(dir, 'tls.key'), pair.key);
const tls = ['--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key')];

describe('nftlens webhook', () => {
  it('refuses bad usage with exit 2 and a located message', async () => {
    const remote = await cli(['webhook', ...tls, '--health', '0.0.0.0:8081']);
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain("option '--health <host:port>': 0.0.0.0 is not a loopback address");
    writeFileSync(join(dir, 'bad.yaml'), 'checks:\n  shadowd: deny\n');
    const bad = await cli(['webhook', ...tls, '--config', join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error\[WEBHOOK_CONFIG\] .*bad\.yaml field checks\.shadowd: unknown check "shadowd"/m);
    const noCert = await cli(['webhook', '--cert', join(dir, 'missing.crt'), '--key', join(dir, 'tls.key')]);
    expect(noCert.code).toBe(2);
    expect(noCert.stderr).toMatch(/^error\[INPUT_READ\] .*missing\.crt/m);
    const noFile = await cli(['webhook', ...tls, '--resources', join(dir, 'none.yaml')]);
    expect(noFile.code).toBe(2);
    const noKey = await cli(['webhook', '--cert', join(dir, 'tls.crt')]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("required option '--key <file>' not specified");
  });

  it('serves reviews with --resources as the cluster, and stops on SIGTERM with exit 0', async () => {
    writeFileSync(join(dir, 'cfg.yaml'), 'budgetMs: 20000\n'); // the budget itself is tested in test/services/webhook
    const child = spawnCli(['webhook', ...tls, '--listen', '127.0.0.1:0', '--health', '127.0.0.1:0', '--resources', 'examples/', '--config', join(dir, 'cfg.yaml')]);
    try {
      const lines = createInterface({ input: child.stderr! });
      let url = '';
      for await (const line of lines) {
        const entry = JSON.parse(line);
        if (entry.msg === 'webhook serving') {
          url = entry.url;
          break;
        }
      }
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const [example] = objectsOf('examples/provider-protect-single-consumer.yaml');
      const copy = structuredClone(example!);
      copy.metadata.name = 'copy-of-venice';
      const body = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'c-1', operation: 'CREATE', object: copy } });
      const answer = await new Promise<string>((resolve, reject) => {
        const req = request(`${url}/validate`, { method: 'POST', ca: ca.cert, agent: false }, (res) => {
          let t = '';
          res.on('data', (d) => (t += d));
          res.on('end', () => resolve(t));
        });
        req.on('error', reject);
        req.end(body);
      });
      const response = JSON.parse(answer).response;
      expect(response).toMatchObject({ uid: 'c-1', allowed: false });
      expect(response.status.message).toContain(`error[LIQO_TABLE_NAME]`);
      expect(response.status.message).toContain(`already used (by resource ${example!.metadata.namespace}/${example!.metadata.name}`);
      const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
