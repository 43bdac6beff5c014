// The fake API server's answers to what a client should not send, and the behaviours no client
// test reaches: malformed bodies and selectors, a bad token, a stale continue token, a namespace
// deleted with its content (finalizers honoured), and the admission caller's failurePolicy when a
// webhook cannot be reached.
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startKubeFake, type KubeFake, type Obj } from './index.js';

const CRD = parse(readFileSync('deploy/crds/networking.liqo.io_firewallconfigurations.yaml', 'utf8'));
const FW = '/apis/networking.liqo.io/v1beta1';

function fw(name: string, namespace: string): Obj {
  return { apiVersion: 'networking.liqo.io/v1beta1', kind: 'FirewallConfiguration', metadata: { name, namespace }, spec: { table: { name, family: 'IPV4' } } };
}

describe('the fake API server on hostile or unusual requests', () => {
  let api: KubeFake;
  const call = (method: string, path: string, body?: string, headers: Record<string, string> = {}, token = api.token) =>
    new Promise<{ code: number; body: Obj }>((resolve, reject) => {
      const req = request(`${api.url}${path}`, { method, ca: api.caCert, agent: false, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers } }, (res) => {
        let t = '';
        res.on('data', (d) => (t += d));
        res.on('end', () => resolve({ code: res.statusCode!, body: JSON.parse(t) }));
      });
      req.on('error', reject);
      req.end(body);
    });

  beforeAll(async () => {
    api = await startKubeFake();
    await api.seed(CRD, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'liqo' } });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers every malformed request with a Status, never a crash', async () => {
    const cases: [string, string, string | undefined, number, string][] = [
      ['POST', `${FW}/namespaces/liqo/firewallconfigurations`, '{not json', 400, 'BadRequest'],
      ['POST', `${FW}/namespaces/liqo/firewallconfigurations`, '[1,2]', 400, 'BadRequest'],
      ['POST', `${FW}/namespaces/liqo/firewallconfigurations`, JSON.stringify({ ...fw('Bad_Name', 'liqo') }), 422, 'Invalid'],
      ['POST', `${FW}/namespaces/liqo/firewallconfigurations`, JSON.stringify({ ...fw('x', 'other') }), 400, 'BadRequest'],
      ['POST', `${FW}/namespaces/liqo/firewallconfigurations`, JSON.stringify({ ...fw('x', 'liqo'), kind: 'Pod' }), 400, 'BadRequest'],
      ['POST', `${FW}/namespaces/liqo/firewallconfigurations`, JSON.stringify({ ...fw('x', 'liqo'), spec: { table: { name: 1 } } }), 422, 'Invalid'],
      ['GET', `${FW}/namespaces/liqo/firewallconfigurations?labelSelector=${encodeURIComponent('a in (b')}`, undefined, 400, 'BadRequest'],
      ['GET', `${FW}/namespaces/liqo/firewallconfigurations?labelSelector=${encodeURIComponent('=x')}`, undefined, 400, 'BadRequest'],
      ['GET', `${FW}/namespaces/liqo/firewallconfigurations?continue=garbage`, undefined, 400, 'BadRequest'],
      ['GET', `${FW}/namespaces/liqo/firewallconfigurations?resourceVersion=abc`, undefined, 400, 'BadRequest'],
      ['GET', `${FW}/namespaces/liqo/nothings`, undefined, 404, 'NotFound'],
      ['GET', `${FW}/namespaces/liqo/firewallconfigurations/x/scale`, undefined, 404, 'NotFound'],
      ['PUT', `${FW}/namespaces/liqo/firewallconfigurations/missing`, JSON.stringify(fw('missing', 'liqo')), 404, 'NotFound'],
      ['PATCH', `${FW}/namespaces/liqo/firewallconfigurations/missing`, '{}', 404, 'NotFound'],
      ['DELETE', `${FW}/namespaces/liqo/firewallconfigurations/missing`, undefined, 404, 'NotFound'],
    ];
    for (const [method, path, body, code, reason] of cases) {
      const r = await call(method, path, body);
      expect([r.code, r.body.kind, r.body.reason], `${method} ${path} ${body}`).toEqual([code, 'Status', reason]);
      expect(r.body.code).toBe(code);
    }
    const applyPatch = await call('PATCH', `${FW}/namespaces/liqo/firewallconfigurations/missing`, '{}', { 'Content-Type': 'text/plain' });
    expect(applyPatch.code).toBe(415);
    const bad = await call('GET', `${FW}/firewallconfigurations`, undefined, {}, 'wrong');
    expect([bad.code, bad.body.reason]).toEqual([401, 'Unauthorized']);
    expect(api.audit.at(-1)).toMatchObject({ code: 401, user: '' });
  });

  it('deletes a namespace with its content; an object with a finalizer keeps the namespace Terminating until released', async () => {
    await api.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gone' } }, fw('a', 'gone'), { ...fw('b', 'gone'), metadata: { name: 'b', namespace: 'gone', finalizers: ['x/y'] } });
    const del = await call('DELETE', '/api/v1/namespaces/gone');
    expect(del.code).toBe(202);
    const ns = await call('GET', '/api/v1/namespaces/gone');
    expect(ns.body.status.phase).toBe('Terminating');
    expect((await call('GET', `${FW}/namespaces/gone/firewallconfigurations/a`)).code).toBe(404);
    const b = await call('GET', `${FW}/namespaces/gone/firewallconfigurations/b`);
    expect(b.body.metadata.deletionTimestamp).toBeTruthy();
    const refused = await call('POST', `${FW}/namespaces/gone/firewallconfigurations`, JSON.stringify(fw('c', 'gone')));
    expect([refused.code, refused.body.reason]).toEqual([403, 'Forbidden']);
    const release = await call('PATCH', `${FW}/namespaces/gone/firewallconfigurations/b`, '{"metadata":{"finalizers":null}}', { 'Content-Type': 'application/merge-patch+json' });
    expect(release.code).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/gone')).code).toBe(404);
  });

  it('honours failurePolicy when a webhook cannot be reached: Fail refuses (500), Ignore admits', async () => {
    const conf = (policy: string) => ({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: `down-${policy.toLowerCase()}` },
      webhooks: [{ name: `down.${policy.toLowerCase()}.test`, failurePolicy: policy, timeoutSeconds: 2, sideEffects: 'None', admissionReviewVersions: ['v1'], clientConfig: { url: 'https://127.0.0.1:1/validate' }, rules: [{ apiGroups: ['networking.liqo.io'], apiVersions: ['*'], resources: ['firewallconfigurations'], operations: ['CREATE'] }] }],
    });
    const [ignore] = await api.seed(conf('Ignore'));
    expect((await call('POST', `${FW}/namespaces/liqo/firewallconfigurations`, JSON.stringify(fw('ignored', 'liqo')))).code).toBe(201);
    await api.seed(conf('Fail'));
    const r = await call('POST', `${FW}/namespaces/liqo/firewallconfigurations`, JSON.stringify(fw('failed', 'liqo')));
    expect([r.code, r.body.reason]).toEqual([500, 'InternalError']);
    expect(r.body.message).toMatch(/^Internal error occurred: failed calling webhook "down\.fail\.test": failed to call webhook: .*ECONNREFUSED/);
    expect((await call('PATCH', `${FW}/namespaces/liqo/firewallconfigurations/ignored`, '{"metadata":{"labels":{"a":"b"}}}', { 'Content-Type': 'application/merge-patch+json' })).code).toBe(200); // UPDATE: not in the rules
    expect(ignore!.kind).toBe('ValidatingWebhookConfiguration');
  });
});
