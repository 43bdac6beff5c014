// The OpenAPI document: valid OpenAPI 3 (checked by @seriousme/openapi-schema-validator), every
// route documented, the interactive docs served — and every worked example in it sent to a real
// server and answered as documented (status, and every member the example shows). Also the error
// codes: docs/api.md lists exactly those the service has.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ERRORS } from '../../../src/services/api/errors.js';
import { serve, type Served } from './support.js';

type Media = { examples?: Record<string, { value: unknown }> };
type Op = {
  parameters?: { in: string; name: string; examples?: Record<string, { value: string }> }[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
};

interface Call {
  name: string;
  method: string;
  path: string;
  type?: string;
  body?: unknown;
  status: number;
  answer: unknown;
}

/** Every example of the document, as the request to send and the answer expected. */
function calls(doc: { paths: Record<string, Record<string, Op>> }): Call[] {
  const out: Call[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const [status, res] of Object.entries(op.responses)) {
        for (const [name, ex] of Object.entries(res.content?.['application/json']?.examples ?? {})) {
          let url = path;
          const query: string[] = [];
          for (const p of op.parameters ?? []) {
            const v = p.examples?.[name]?.value;
            if (v === undefined) continue;
            if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(v));
            else query.push(`${p.name}=${encodeURIComponent(v)}`);
          }
          const media = Object.entries(op.requestBody?.content ?? {}).find(([, m]) => m.examples?.[name]);
          out.push({
            name, method: method.toUpperCase(), path: url + (query.length ? `?${query.join('&')}` : ''), status: Number(status), answer: ex.value,
            type: media?.[0], body: media?.[1].examples![name]!.value,
          });
        }
      }
    }
  }
  // Creations first, removals last: the examples share one server.
  const rank = (c: Call) => (c.method === 'PUT' ? 0 : c.method === 'DELETE' ? 2 : 1);
  return out.sort((a, b) => rank(a) - rank(b));
}

describe('OpenAPI', () => {
  let s: Served;
  let doc: any;
  beforeAll(async () => {
    s = await serve();
    doc = (await s.req('/openapi.json')).json;
  });
  afterAll(() => s.close());

  it('is a valid OpenAPI 3 document that documents every route', async () => {
    const v = new Validator();
    const r = await v.validate(doc);
    expect(r.errors ?? []).toEqual([]);
    expect(r.valid).toBe(true);
    expect(doc.openapi).toMatch(/^3\./);
    const ops = Object.entries(doc.paths as Record<string, object>).flatMap(([p, o]) => Object.keys(o).map((m) => `${m} ${p}`)).sort();
    expect(ops).toEqual([
      'delete /v1/policies/{name}', 'get /healthz', 'get /metrics', 'get /readyz', 'get /v1/policies', 'get /v1/policies/{name}',
      'post /v1/diff', 'post /v1/isolation', 'post /v1/policies/{name}/analyze', 'post /v1/policies/{name}/evaluate', 'post /v1/policies/{name}/replay', 'put /v1/policies/{name}',
    ]);
    const docs = await fetch(`${s.url}/docs`, { redirect: 'follow' });
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
  });

  it('answers every documented example as documented', async () => {
    const list = calls(doc);
    expect(list.length).toBeGreaterThanOrEqual(12);
    for (const c of list) {
      const body = c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
      const r = await s.req(c.path, { method: c.method, body, type: c.type });
      expect(r.status, c.name).toBe(c.status);
      expect(r.json, c.name).toMatchObject(c.answer as object);
    }
  });

  it('docs/api.md lists exactly the error codes there are, with their statuses', async () => {
    const md = await readFile(fileURLToPath(new URL('../../../docs/api.md', import.meta.url)), 'utf8');
    const rows = [...md.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(rows).toEqual(Object.entries(API_ERRORS).map(([code, [status]]) => [code, status]));
  });
});
