// Property test of the whole front end: valid fixtures, mutated in every way a hand-edited or
// machine-made resource can go wrong, must either load (into well-formed IR) or be rejected with an
// NftlensError whose diagnostics all name the file — never crash with anything else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { parseFirewallConfigurations } from '../../../src/frontends/liqo/index.js';
import { NftlensError } from '../../../src/model/diagnostics.js';
import { checkMatchValue } from '../../../src/model/values.js';
import { fixtureNames, noLiqoFixtures, readFixture } from './fixtures.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const seeds: Json[] = fixtureNames('valid').flatMap((n) =>
  parseAllDocuments(readFixture('valid', n).text).map((d) => (Array.isArray(d) ? null : (d.toJS() as Json))),
);

/** Values that pass the schema's enums and formats, so mutations also reach the webhook and converter. */
const INTERESTING = [
  '10.0.0.1', '10.0.0.0/33', '10.42.1.5/16', 'fd00::1', 'fd00::/64', '::ffff:10.0.0.1', '10.0.0.9-10.0.0.1',
  '10.0.0.1-fd00::1', '10.0.0.1 - 10.0.0.3', '99999', '-1', '+80', '9000-8000', '0-65535', '1-2-3', '', 'liqo*',
  'x'.repeat(20), '0x10', '65536', '0', '1400', 'IPV4', 'IPV6', 'INET', 'ARP', 'NETDEV', 'BRIDGE', 'nat', 'route',
  'filter', 'ingress', 'input', 'output', 'forward', 'prerouting', 'postrouting', 'masquerade', 'dnat', 'snat',
  'eq', 'neq', 'tcp', 'udp', 'src', 'dst', 'in', 'out', 'accept', 'drop', 'reject', 'ctmark', 'notrack',
  'metamarkfromctmark', 'tcpmssclamp', 'true', 'List', 'FirewallConfiguration', 'networking.liqo.io/v1beta1',
];

const junk: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(...INTERESTING),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(null, true, false, 0, -1, 2 ** 31, -(2 ** 31) - 1, 1.5, 1e308, [], {}),
  fc.string({ maxLength: 12 }),
);

type Op = 'delete' | 'duplicate' | 'retype' | 'nest' | 'rename';
interface Mutation {
  pick: number;
  op: Op;
  value: Json;
  depth: number;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom<Op>('delete', 'duplicate', 'retype', 'retype', 'nest', 'rename'),
  value: junk,
  // Mostly shallow; sometimes past the reader's 200-level limit.
  depth: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 8 }), weight: 9 }, { arbitrary: fc.constant(205), weight: 1 }),
});

/** Every (container, key) place in a value. */
function places(v: Json, out: [Json[] | Record<string, Json>, string | number][] = []) {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), places(x, out)));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) out.push([v, k]), places(v[k]!, out);
  return out;
}

function mutate(root: Json, m: Mutation): Json {
  const all = places(root);
  if (all.length === 0) return m.value;
  const [box, key] = all[m.pick % all.length]!;
  const get = () => (box as Record<string | number, Json>)[key]!;
  const set = (x: Json) => ((box as Record<string | number, Json>)[key] = x);
  switch (m.op) {
    case 'delete':
      if (Array.isArray(box)) box.splice(key as number, 1);
      else delete box[key as string];
      break;
    case 'duplicate':
      if (Array.isArray(box)) box.splice(key as number, 0, structuredClone(get()));
      else set(structuredClone(Object.values(box)[m.pick % Object.keys(box).length]!));
      break;
    case 'retype':
      set(structuredClone(m.value));
      break;
    case 'nest': {
      let x: Json = get();
      for (let i = 0; i < m.depth; i++) x = m.pick % 2 ? [x] : { a: x };
      set(x);
      break;
    }
    case 'rename':
      if (!Array.isArray(box) && typeof m.value === 'string') {
        const v = get();
        delete box[key as string];
        box[m.value] = v;
      }
      break;
  }
  return root;
}

interface Scenario {
  seed: number;
  mutations: Mutation[];
  format: 'yaml' | 'json' | 'flow';
  corrupt: { at: number; cut: number; insert: string } | null;
  nameRules: boolean;
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  seed: fc.nat(),
  mutations: fc.array(mutation, { maxLength: 4 }),
  format: fc.constantFrom<'yaml' | 'json' | 'flow'>('yaml', 'yaml', 'json', 'flow'),
  corrupt: fc.option(
    fc.record({ at: fc.nat(), cut: fc.nat({ max: 12 }), insert: fc.string({ maxLength: 4, unit: fc.constantFrom(':', '-', '[', '{', '"', "'", ' ', '\n', '&', '*', '!', '#', 'a', '1', '\t') }) }),
    { freq: 5 },
  ),
  nameRules: fc.boolean(),
});

function render(s: Scenario): string {
  let doc: Json = structuredClone(seeds[s.seed % seeds.length]!);
  for (const m of s.mutations) doc = mutate(doc, m);
  let text =
    s.format === 'json'
      ? JSON.stringify(doc, null, 2)
      : s.format === 'flow'
        ? JSON.stringify(doc) // one line of YAML flow collections
        : stringify(doc, { aliasDuplicateObjects: false });
  if (s.corrupt) {
    const at = s.corrupt.at % (text.length + 1);
    text = text.slice(0, at) + s.corrupt.insert + text.slice(at + s.corrupt.cut);
  }
  return text;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

describe.skipIf(noLiqoFixtures)('parseFirewallConfigurations on mutated fixtures', () => {
  it('throws nothing but NftlensError, every diagnostic names the file, accepted resources are well-formed IR', () => {
    const started = Date.now();
    const outcome = { accepted: 0, rejected: 0 };
    fc.assert(
      fc.property(scenario, (s) => {
        const text = render(s);
        let result;
        try {
          result = parseFirewallConfigurations(text, 'fuzz.yaml', { nameRules: s.nameRules });
        } catch (e) {
          if (!(e instanceof NftlensError)) throw e;
          check(e.diagnostics.length > 0, 'an NftlensError without diagnostics');
          for (const d of e.diagnostics) {
            check(d.origin.file === 'fuzz.yaml', `a diagnostic without the file: ${JSON.stringify(d)}`);
            check(d.severity === 'error', `a thrown ${d.severity}`);
          }
          outcome.rejected++;
          return;
        }
        outcome.accepted++;
        for (const d of result.diagnostics) check(d.origin.file === 'fuzz.yaml', `a diagnostic without the file: ${JSON.stringify(d)}`);
        for (const t of result.ruleset.tables) {
          for (const c of t.chains) {
            for (const r of c.rules) {
              check(!!r.comment, 'a rule without its name');
              for (const e of r.exprs) {
                check(e.origin.file === 'fuzz.yaml', 'an expression without its origin');
                const bad = e.kind === 'match' ? checkMatchValue(e) : undefined;
                check(bad === undefined, `an ill-formed match: ${bad}`);
              }
            }
          }
        }
      }),
      { numRuns: 10_000, seed: Number(process.env.FUZZ_SEED ?? 20261126) },
    );
    const ms = Date.now() - started;
    console.log(`10000 mutated FirewallConfigurations in ${ms} ms: ${outcome.accepted} accepted, ${outcome.rejected} rejected`);
    // The mutations reach both sides: neither all rejected by the YAML reader nor all accepted.
    expect(outcome.accepted).toBeGreaterThan(500);
    expect(outcome.rejected).toBeGreaterThan(2000);
  });
});
