// JSON schemas of the what-if service's requests and answers: compiled once at start-up (fastify
// validates every body, parameter and query with them) and published in the OpenAPI document.
// Answers are serialised with JSON.stringify (app.ts): their schemas document, they do not filter.

import { PATH_HOOKS } from '../../engine/plan.js';
import { API_ERRORS } from './errors.js';
import { POLICY_NAME } from './store.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
// OpenAPI 3.0 wants `required` left out rather than empty.
const obj = (properties: Record<string, unknown>, required: string[] = [], extra = false) =>
  ({ type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: extra }) as const;

export const hook = { type: 'string', enum: [...PATH_HOOKS], description: 'evaluate or analyse this hook alone' } as const;
const local = { type: 'array', items: str, maxItems: 1024, description: "addresses of the gateway itself (routing sends packets to them to input)" } as const;
const routes = {
  type: 'array', items: str, maxItems: 65536,
  description: "the gateway's main routing table, 'PREFIX dev NAME' each ('10.0.0.0/8 dev eth1', 'default dev eth0', '::/0 dev eth0'): what fib … oif looks up; none: every lookup finds one",
} as const;

export const origin = {
  $id: 'Origin', type: 'object', additionalProperties: false, description: 'where something came from: file, resource, table, chain, rule, field, line, column',
  properties: { file: str, resource: str, table: str, chain: str, rule: str, field: str, line: int, column: int },
} as const;

export const diagnostic = {
  $id: 'Diagnostic', ...obj({ code: str, severity: { type: 'string', enum: ['error', 'warning', 'info'] }, message: str, origin: { $ref: 'Origin#' } }, ['code', 'severity', 'message', 'origin']),
} as const;

export const errorBody = {
  $id: 'Error', description: 'every failure: a stable code (docs/api.md), a message, and where it applies the field (JSON pointer) or the located diagnostics',
  ...obj({
    error: obj({
      code: { type: 'string', enum: Object.keys(API_ERRORS) }, message: str, pointer: str, id: str,
      diagnostics: { type: 'array', items: { $ref: 'Diagnostic#' } },
    }, ['code', 'message']),
  }, ['error']),
} as const;

export const packetObject = {
  $id: 'PacketObject', description: 'a packet in JSON form (as `nftlens eval --packets` reads it); saddr and daddr required',
  ...obj({
    family: { type: 'integer', enum: [4, 6] }, saddr: str, daddr: str, l4proto: { oneOf: [int, str] }, sport: int, dport: int,
    iifname: str, oifname: str, ctState: str, mark: int, ctMark: int, tcpFlags: int, length: int, local: bool, dstLocal: bool,
    pktType: { type: 'string', enum: ['host', 'unicast', 'broadcast', 'multicast'], description: 'the link-layer destination the frame came to (meta pkttype); default host' },
  }, ['saddr', 'daddr']),
} as const;

export const packet = {
  $id: 'Packet', description: "a packet: text form ('tcp 10.0.0.5:40000 -> 10.42.1.7:80 iif eth0 oif eth1') or JSON form",
  oneOf: [{ type: 'string', minLength: 1, maxLength: 4096 }, { $ref: 'PacketObject#' }],
} as const;

const ref = (id: string, extra: Record<string, unknown> = {}) => ({ type: 'object', additionalProperties: true, description: `see ${id}`, ...extra });

export const evalResult = {
  $id: 'EvalResult', type: 'object', additionalProperties: true,
  description: 'as `nftlens eval -o json`: the packet, the verdict, what decided (rule, policy or none), the deciding rule and chain with their origins, the hooks on the path, the packet after NAT, and the trace when asked. When stateful expressions decide (numgen, limit, quota, ct count, a dynamic set), `outcomes` holds every way the state allows, each with `state` (the way each draw took) and the members above, and `verdict` is theirs when they agree, else `depends-on-state`',
  properties: {
    packet: ref('PacketObject'), verdict: { type: 'string', enum: ['accept', 'drop', 'reject', 'depends-on-state'] }, by: { type: 'string', enum: ['rule', 'policy', 'none', 'route'] },
    rule: obj({ id: int, label: str, origin: { $ref: 'Origin#' } }, ['id', 'label', 'origin']),
    chain: obj({ id: int, label: str, origin: { $ref: 'Origin#' } }, ['id', 'label', 'origin']),
    hooks: { type: 'array', items: str }, after: ref('PacketObject'), trace: { type: 'array', items: { type: 'object', additionalProperties: true } },
    outcomes: { type: 'array', items: { type: 'object', additionalProperties: true, properties: { state: { type: 'array', items: str } }, required: ['state', 'verdict', 'by', 'hooks', 'after'] } },
    moreOutcomes: { type: 'boolean', description: 'more outcomes than were run (256)' },
  },
  required: ['packet', 'verdict'],
} as const;

export const policyInfo = {
  $id: 'PolicyInfo', ...obj({
    name: str, version: int, updated: { type: 'string', format: 'date-time' }, files: { type: 'array', items: str },
    summary: obj({ tables: int, chains: int, baseChains: int, rules: int }, ['tables', 'chains', 'baseChains', 'rules']), warnings: int,
  }, ['name', 'version', 'updated', 'files', 'summary', 'warnings']),
} as const;

export const SHARED = [origin, diagnostic, errorBody, packetObject, packet, evalResult, policyInfo];

export const nameParam = obj({ name: { type: 'string', pattern: POLICY_NAME, description: 'policy name' } }, ['name']);

/** Responses every route may give besides its own: errors by status. */
export function errors(...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(statuses.map((s) => [s, { description: descriptions(s), $ref: 'Error#' }]));
}

function descriptions(status: number): string {
  return Object.entries(API_ERRORS).filter(([, [s]]) => s === status).map(([c, [, d]]) => `${c}: ${d}`).join('; ');
}

export { obj, str, int, bool, local, routes };
