// POST /v1/policies/{name}/evaluate: what the policy does to packets. A JSON body holds one packet
// (`packet`: its result) or many (`packets`: `{ count, results }`, or compact columns); a
// text/plain body is a packets file (one packet a line, text or JSON form, # comments), the fast
// way to send large batches. Options in the JSON body, or in the query for a text body: `hook`,
// `trace`, `view`. Bad packets are 400 with their located diagnostic (line of the body, or JSON
// pointer of the item).

import type { FastifyPluginAsync } from 'fastify';
import { packetFromJson, parsePacket, type PathHook } from '../../../engine/index.js';
import type { Services } from '../app.js';
import { ApiError } from '../errors.js';
import { evaluateMany, evaluateOne, type EvalRequest, type View } from '../evaluate.js';
import { bool, errors, hook, int, nameParam, obj, str } from '../schemas.js';

interface JsonBody extends EvalRequest {
  packet?: string | Record<string, unknown>;
  packets?: (string | Record<string, unknown>)[];
}

interface Query {
  hook?: PathHook;
  trace?: 'true' | 'false';
  view?: View;
}

const view = { type: 'string', enum: ['full', 'compact'], description: 'many packets: each result in full (default), or compact columns' } as const;

export const evaluateRoutes: FastifyPluginAsync<Services> = async (app, s) => {
  const options = { hook, trace: { ...bool, description: 'also the trace: hooks, chains, rules and statements on the way' }, view };
  const manyResult = {
    type: 'object', additionalProperties: true, required: ['count'],
    description: 'many packets: `{ count, results }` (view full), or `{ count, verdict[], rule[], chain[], rules{}, chains{} }` (view compact: ids, null for none, and each deciding rule and chain once)',
    properties: { count: int, results: { type: 'array', items: { $ref: 'EvalResult#' } } },
  };
  app.post<{ Params: { name: string }; Body: JsonBody | string; Querystring: Query }>('/v1/policies/:name/evaluate', {
    schema: {
      tags: ['evaluate'],
      summary: 'evaluate one packet or many: verdict, deciding rule and chain with their origins, NAT, trace on request',
      description: `JSON: { packet } or { packets: [...] } (at most ${s.limits.maxBatch}), with hook, trace, view. text/plain: one packet a line (text or JSON form), options in the query.`,
      params: nameParam,
      querystring: obj({ hook, trace: { type: 'string', enum: ['true', 'false'] }, view }),
      body: {
        content: {
          'application/json': { schema: obj({ packet: { $ref: 'Packet#' }, packets: { type: 'array', items: { $ref: 'Packet#' }, minItems: 1 }, ...options }) },
          'text/plain': { schema: { type: 'string', description: 'one packet a line, text or JSON form; # comments' } },
        },
      },
      response: { 200: { oneOf: [{ $ref: 'EvalResult#' }, manyResult] }, ...errors(400, 404, 413, 415) },
    },
  }, async (req, reply) => {
    const policy = s.store.get(req.params.name);
    if (!policy) throw new ApiError('NOT_FOUND', `no policy named ${JSON.stringify(req.params.name)}`);
    const c = policy.classifier;
    const body = req.body;
    if (typeof body === 'string') {
      const q = req.query;
      const { lines, numbers } = packetLines(body);
      if (!lines.length) throw new ApiError('BAD_REQUEST', 'the body holds no packet: one a line, text or JSON form');
      const out = evaluateMany(c, lines, { hook: q.hook, trace: q.trace === 'true', view: q.view }, s.limits, (i) => ({ file: 'body', line: numbers[i] }));
      s.metrics.packets.inc(lines.length);
      return reply.type('application/json').send(out);
    }
    if (typeof req.query === 'object' && Object.keys(req.query).length) {
      throw new ApiError('BAD_REQUEST', 'options of a JSON body go in the body, not the query');
    }
    if ((body.packet === undefined) === (body.packets === undefined)) {
      throw new ApiError('SCHEMA', '/: give exactly one of packet and packets', { pointer: body.packet === undefined ? '/packet' : '/packets' });
    }
    if (body.packet !== undefined) {
      const p = body.packet;
      const packet = typeof p === 'string' ? parsePacket(p, { field: '/packet' }) : packetFromJson(p, { field: '/packet' });
      s.metrics.packets.inc();
      return evaluateOne(c, packet, body);
    }
    const items = body.packets!;
    const lines = items.map((p) => (typeof p === 'string' ? p : JSON.stringify(p)));
    // Each item is one line of the batch: a text item that is blank, a # comment or more than one line is no packet.
    const bad = lines.findIndex((l) => /[\r\n]/.test(l) || !l.trim() || l.trim().startsWith('#'));
    if (bad >= 0) throw new ApiError('SCHEMA', `/packets/${bad}: one packet in its text form, on one line`, { pointer: `/packets/${bad}` });
    const out = evaluateMany(c, lines, body, s.limits, (i) => ({ field: `/packets/${i}` }));
    s.metrics.packets.inc(items.length);
    return reply.type('application/json').send(out);
  });
};

/** Packet lines of a text body (blank lines and # comments skipped) and their 1-based line numbers. */
function packetLines(text: string): { lines: string[]; numbers: number[] } {
  const lines: string[] = [];
  const numbers: number[] = [];
  let n = 0;
  for (const raw of text.split(/\r\n|\n|\r/)) {
    n++;
    const t = raw.trim();
    if (!t || t.charCodeAt(0) === 35) continue;
    lines.push(t);
    numbers.push(n);
  }
  return { lines, numbers };
}
