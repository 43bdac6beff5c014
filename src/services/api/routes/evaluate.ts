// POST /v1/policies/{name}/evaluate: what the policy does to packets. A JSON body holds one packet
// (`packet`: its result) or many (`packets`: `{ count, results }`, or compact columns); a
// text/plain body is a packets file (one packet a line, text or JSON form, # comments), read as
// bytes; an application/vnd.nftlens.packets body is binary records (engine/stream/records.ts),
// the fastest way to send large batches. Options in the JSON body, or in the query for the
// others: `hook`, `trace`, `view`. A text or records batch answers with its compact columns as
// bytes (columns.ts) when the request accepts application/vnd.nftlens.results. Bad packets are
// 400 with their located diagnostic (line of the body, record and field, or JSON pointer).

import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { packetFromJson, parsePacket, type PathHook } from '../../../engine/index.js';
import type { Services } from '../app.js';
import { ApiError } from '../errors.js';
import { RECORDS_TYPE } from '../../../engine/stream/records.js';
import { RESULTS_TYPE } from '../columns.js';
import { bodyBlocks, declaredLength } from '../body.js';
import { evaluateMany, evaluateOneText, evaluateRecords, evaluateTextBody, type BatchAnswer, type EvalRequest, type View } from '../evaluate.js';
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
  // Text and records bodies are read by the handler as they arrive (body.ts): no string, no JSON
  // pass, no buffer of the whole body. Their schemas only describe them (the OpenAPI document
  // gives them their types: openapi.ts).
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(['text/plain', RECORDS_TYPE], (_req, payload, done) => done(null, payload));
  const options = { hook, trace: { ...bool, description: 'also the trace: hooks, chains, rules and statements on the way' }, view };
  const manyResult = {
    type: 'object', additionalProperties: true, required: ['count'],
    description: 'many packets: `{ count, results }` (view full), or `{ count, verdict[], rule[], chain[], rules{}, chains{} }` (view compact: ids, null for none, and each deciding rule and chain once)',
    properties: { count: int, results: { type: 'array', items: { $ref: 'EvalResult#' } } },
  };
  app.post<{ Params: { name: string }; Body: JsonBody | Readable; Querystring: Query }>('/v1/policies/:name/evaluate', {
    schema: {
      tags: ['evaluate'],
      summary: 'evaluate one packet or many: verdict, deciding rule and chain with their origins, NAT, trace on request',
      description: `JSON: { packet } or { packets: [...] } (at most ${s.limits.maxBatch}), with hook, trace, view. text/plain: one packet a line (text or JSON form), options in the query. ${RECORDS_TYPE}: binary records, options in the query. A text or records batch answers with its compact columns as bytes when the request accepts ${RESULTS_TYPE}.`,
      params: nameParam,
      querystring: obj({ hook, trace: { type: 'string', enum: ['true', 'false'] }, view }),
      body: {
        content: {
          'application/json': { schema: obj({ packet: { $ref: 'Packet#' }, packets: { type: 'array', items: { $ref: 'Packet#' }, minItems: 1 }, ...options }) },
          'text/plain': { schema: { description: 'one packet a line, text or JSON form; # comments' } },
          [RECORDS_TYPE]: { schema: { description: RECORDS_DOC } },
        },
      },
      response: {
        200: {
          content: {
            'application/json': { schema: { oneOf: [{ $ref: 'EvalResult#' }, manyResult] } },
            [RESULTS_TYPE]: { schema: { description: RESULTS_DOC } },
          },
        },
        ...errors(400, 404, 413, 415),
      },
    },
  }, async (req, reply) => {
    const policy = s.store.get(req.params.name);
    if (!policy) throw new ApiError('NOT_FOUND', `no policy named ${JSON.stringify(req.params.name)}`);
    const c = policy.classifier;
    const body = req.body;
    if (body instanceof Readable) {
      const q = req.query;
      const opts = { hook: q.hook, trace: q.trace === 'true', view: q.view, binary: accepts(req.headers.accept) };
      const blocks = bodyBlocks(req.raw, s.bodyLimit);
      const declared = declaredLength(req.raw);
      try {
        return send(reply, await (req.headers['content-type']?.startsWith(RECORDS_TYPE) ? evaluateRecords : evaluateTextBody)(c, blocks, opts, s.limits, declared));
      } finally {
        // A body left unread (refused before it was, or cut short by an error) is read and dropped,
        // so that the connection can take the next request.
        if (!req.raw.complete) req.raw.resume();
      }
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
      // Its JSON text, sent as is (not through the serialiser).
      return reply.type(JSON_UTF8).send(evaluateOneText(c, policy.answers, packet, body));
    }
    const items = body.packets!;
    const lines = items.map((p) => (typeof p === 'string' ? p : JSON.stringify(p)));
    // Each item is one line of the batch: a text item that is blank, a # comment or more than one line is no packet.
    const bad = lines.findIndex((l) => /[\r\n]/.test(l) || !l.trim() || l.trim().startsWith('#'));
    if (bad >= 0) throw new ApiError('SCHEMA', `/packets/${bad}: one packet in its text form, on one line`, { pointer: `/packets/${bad}` });
    return send(reply, evaluateMany(c, lines, body, s.limits, (i) => ({ field: `/packets/${i}` })));
  });

  function send(reply: FastifyReply, a: BatchAnswer) {
    s.metrics.packets.inc(a.count);
    return reply.type(a.type).send(a.body);
  }
};

const JSON_UTF8 = 'application/json; charset=utf-8';

/** Whether the Accept header asks for the columns as bytes. */
const accepts = (accept: string | undefined) => accept !== undefined && accept.includes(RESULTS_TYPE);

const RECORDS_DOC = 'binary records, one packet each, 84 bytes little-endian: family u8 (4|6), l4proto u8, tcp flags u8, local u8 (1 locally generated, 2 to a local address), sport u16, dport u16, length u16, ct state u8 (its bit: 1 invalid, 2 established, 4 related, 8 new, 64 untracked), 0 u8, mark u32, ct mark u32, saddr 4 × u32 and daddr 4 × u32 (most significant word first; IPv4 in word 0), iifname and oifname 16 bytes each (UTF-8, NUL-padded). Answered compact: JSON (view compact), or the columns as bytes.';
const RESULTS_DOC = 'the compact answer as columns: n verdicts (0 drop, 1 accept, 2 reject), then n deciding rule ids, then n deciding chain ids (4294967295: none), each a little-endian u32; n = length / 12';
