// The analyses: POST /v1/policies/{name}/analyze (findings with witnesses, as `nftlens analyze -o
// json`), POST /v1/isolation (tenants' isolation, as `nftlens isolation -o json`) and POST
// /v1/diff (the packets whose verdict changes, as `nftlens diff -o json`). Each runs in a worker
// thread on the policies as they are when the request arrives, within the time limit.

import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../app.js';
import { ApiError } from '../errors.js';
import type { PolicySpec } from '../jobs.js';
import { bool, errors, hook, local, nameParam, obj, routes, str } from '../schemas.js';
import { POLICY_NAME, type Policy } from '../store.js';
import type { PathHook } from '../../../engine/plan.js';

const tags = ['analyses'];
const policyName = { type: 'string', pattern: POLICY_NAME } as const;
const answer = (what: string) => ({ type: 'object', additionalProperties: true, description: `as \`${what} -o json\`` });

interface Common {
  local?: string[];
  routes?: string[];
  timeoutMs?: number;
}

export const analysisRoutes: FastifyPluginAsync<Services> = async (app, s) => {
  const timeoutMs = { type: 'integer', minimum: 1, maximum: s.analysisTimeoutMs, description: `stop the analysis after this long (at most, and by default, ${s.analysisTimeoutMs} ms)` };
  const common = { local, routes, timeoutMs };
  const spec = (name: string): PolicySpec => {
    const p: Policy | undefined = s.store.get(name);
    if (!p) throw new ApiError('NOT_FOUND', `no policy named ${JSON.stringify(name)}`);
    return { sources: p.sources, nameRules: p.nameRules };
  };
  const run = (job: Parameters<Services['runner']['run']>[0], body: Common) => s.runner.run(job, body.timeoutMs ?? s.analysisTimeoutMs);
  const failures = errors(400, 404, 503);
  // A request with no body asks with the defaults.
  app.addHook('preValidation', async (req) => {
    req.body ??= {};
  });

  app.post<{ Params: { name: string }; Body: Common & { hooks?: PathHook[]; maxNodes?: number } }>('/v1/policies/:name/analyze', {
    schema: {
      tags, summary: 'shadowed, unreachable, redundant and overlapping rules and cross-resource conflicts, each with a witness packet',
      params: nameParam,
      body: obj({ hooks: { type: 'array', items: hook, uniqueItems: true }, maxNodes: { type: 'integer', minimum: 1, description: 'BDD node limit' }, ...common }),
      response: { 200: answer('nftlens analyze'), ...failures },
    },
  }, async (req) => {
    const b = req.body ?? {};
    return run({ kind: 'analyze', policy: spec(req.params.name), hooks: b.hooks, local: b.local, routes: b.routes, maxNodes: b.maxNodes }, b);
  });

  app.post<{ Body: Common & { policy: string; tenants?: string | Record<string, unknown> } }>('/v1/isolation', {
    schema: {
      tags, summary: "whether tenants reach each other's destinations on the forward path, each breach with a witness",
      body: obj({
        policy: policyName,
        tenants: { oneOf: [str, { type: 'object' }], description: 'the tenants file (YAML text, or its JSON): name → { sources, destinations, interfaces }; default: the embedded examples\' tenants' },
        ...common,
      }, ['policy']),
      response: { 200: answer('nftlens isolation'), ...failures },
    },
  }, async (req) => {
    const b = req.body;
    const tenants = b.tenants === undefined ? undefined : { file: 'tenants', text: typeof b.tenants === 'string' ? b.tenants : JSON.stringify(b.tenants) };
    return run({ kind: 'isolation', policy: spec(b.policy), tenants, local: b.local, routes: b.routes }, b);
  });

  app.post<{ Body: Common & { old: string; new: string; byRule?: boolean } }>('/v1/diff', {
    schema: {
      tags, summary: 'the packets whose verdict changes from one policy to another, as header-space cubes with a witness each',
      body: obj({ old: policyName, new: policyName, byRule: { ...bool, description: 'a change of the deciding rule counts too' }, ...common }, ['old', 'new']),
      response: { 200: answer('nftlens diff'), ...failures },
    },
  }, async (req) => {
    const b = req.body;
    return run({ kind: 'diff', old: spec(b.old), new: spec(b.new), byRule: b.byRule, local: b.local, routes: b.routes }, b);
  });
};
