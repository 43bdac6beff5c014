// Policy routes: list, read, put (create or replace) and delete named policies. A PUT body is a
// policy as the CLI's -f reads it — FirewallConfiguration YAML or JSON (several resources, or a
// List), or nft JSON (`nft -j list ruleset`) — taken as text, loaded through the CLI's path and
// compiled before it is swapped in; an invalid one is refused (422) with the CLI's diagnostics.

import type { FastifyPluginAsync } from 'fastify';
import { ruleText } from '../../../backends/nft/render-text.js';
import { chainLabel, ruleLabel } from '../../../engine/result.js';
import { NftlensError } from '../../../model/diagnostics.js';
import type { Services } from '../app.js';
import { requireToken } from '../auth.js';
import { ApiError } from '../errors.js';
import { errors, int, nameParam, obj, str } from '../schemas.js';
import { policyInfo, warnings, type Policy } from '../store.js';

const POLICY_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'application/json', 'text/plain'];
const tags = ['policies'];

const ruleSchema = obj({ id: int, label: str, origin: { $ref: 'Origin#' }, nft: str }, ['id', 'label', 'origin']);
const chainSchema = obj({
  id: int, label: str, table: str, name: str, hook: str, type: str, priority: int, policy: str, origin: { $ref: 'Origin#' },
  rules: { type: 'array', items: ruleSchema },
}, ['id', 'label', 'table', 'name', 'origin', 'rules']);
const policyDetail = {
  type: 'object', additionalProperties: true, required: ['name', 'version', 'updated', 'files', 'summary', 'warnings', 'diagnostics', 'chains'],
  description: 'PolicyInfo, with the warnings themselves and every chain with its rules (ids as evaluate and analyze give them, labels, origins, nft text)',
  properties: {
    ...Object.fromEntries(['name', 'version', 'updated', 'files', 'summary', 'warnings'].map((k) => [k, {}])),
    diagnostics: { type: 'array', items: { $ref: 'Diagnostic#' } }, chains: { type: 'array', items: chainSchema },
  },
};

/** A policy in full: what the web page shows and what evaluate's and analyze's ids point into. */
export function policyDetailOf(p: Policy) {
  const plan = p.classifier.plan;
  const chains = plan.chains.map((c) => ({
    id: c.id, label: chainLabel(plan, c.id), table: `${c.table.family} ${c.table.name}`, name: c.chain.name,
    ...(c.chain.base ? { hook: c.chain.base.hook, type: c.chain.base.type, priority: c.chain.base.priority, policy: c.chain.base.policy } : {}),
    origin: c.chain.origin,
    rules: c.chain.rules.map((r, i) => ({ id: c.firstRule + i, label: ruleLabel(plan, c.firstRule + i), origin: r.origin, nft: nftOf(c.table, r) })),
  }));
  return { ...policyInfo(p), diagnostics: warnings(p.loaded.diagnostics, p.classifier.diagnostics), chains };
}

function nftOf(t: Parameters<typeof ruleText>[0], r: Parameters<typeof ruleText>[1]): string | undefined {
  try {
    return ruleText(t, r);
  } catch {
    return undefined; // a name nft's text cannot carry (NFT_TEXT): the JSON form still does
  }
}

export const policyRoutes: FastifyPluginAsync<Services> = async (app, s) => {
  // A policy body is text for the front ends, which locate its errors by line and column.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(POLICY_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const mutating = requireToken(s.token);
  const found = (name: string): Policy => {
    const p = s.store.get(name);
    if (!p) throw new ApiError('NOT_FOUND', `no policy named ${JSON.stringify(name)}`);
    return p;
  };

  app.get('/v1/policies', {
    schema: { tags, summary: 'the policies held', response: { 200: obj({ policies: { type: 'array', items: { $ref: 'PolicyInfo#' } } }, ['policies']) } },
  }, async () => ({ policies: s.store.names().map((n) => policyInfo(s.store.get(n)!)) }));

  app.get<{ Params: { name: string } }>('/v1/policies/:name', {
    schema: { tags, summary: 'a policy: summary, warnings, chains and rules', params: nameParam, response: { 200: policyDetail, ...errors(400, 404) } },
  }, async (req) => policyDetailOf(found(req.params.name)));

  app.put<{ Params: { name: string }; Querystring: { nameRules?: 'true' | 'false' }; Body: string }>('/v1/policies/:name', {
    onRequest: mutating,
    schema: {
      tags, summary: 'create or replace a policy (compiled, then swapped in: requests in flight finish on the old one)',
      security: [{ bearer: [] }],
      params: nameParam,
      querystring: obj({ nameRules: { type: 'string', enum: ['true', 'false'], description: "name nameless Liqo rules as Liqo's mutating webhook does" } }),
      body: { type: 'string', minLength: 1, description: 'FirewallConfiguration YAML or JSON (several, or a List), or nft JSON' },
      response: { 200: { $ref: 'PolicyInfo#' }, 201: { $ref: 'PolicyInfo#' }, ...errors(400, 401, 413, 415, 422) },
    },
  }, async (req, reply) => {
    const name = req.params.name;
    let r;
    try {
      r = s.store.put(name, [{ file: `policies/${name}`, text: req.body }], req.query.nameRules === 'true');
    } catch (e) {
      if (!(e instanceof NftlensError)) throw e;
      throw new ApiError('INVALID_POLICY', `policy ${name} is invalid: ${e.diagnostics.length} error(s)`, { diagnostics: e.diagnostics });
    }
    req.log.info({ policy: name, version: r.policy.version }, r.created ? 'policy created' : 'policy replaced');
    return reply.status(r.created ? 201 : 200).send(policyInfo(r.policy));
  });

  app.delete<{ Params: { name: string } }>('/v1/policies/:name', {
    onRequest: mutating,
    schema: { tags, summary: 'remove a policy', security: [{ bearer: [] }], params: nameParam, response: { 200: obj({ deleted: str }, ['deleted']), ...errors(400, 401, 404) } },
  }, async (req) => {
    if (!s.store.delete(req.params.name)) found(req.params.name);
    req.log.info({ policy: req.params.name }, 'policy deleted');
    return { deleted: req.params.name };
  });
};
