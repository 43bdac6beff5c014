// Decodes one located tree into the source model (types.ts), enforcing what the CRD's
// openAPIV3Schema enforces — types, enums (upper-case families), required fields, int32 priority,
// `rules` with at most one property — and applying its defaults (`priority: 0`, `counter: true`).
// As the API server does, null fields count as absent. Unknown fields are errors, as with kubectl's
// default strict field validation (the API server alone would drop them silently).
// Every problem is a LIQO_SCHEMA error located at the field; decoding goes on to find them all.

import { diag, type Diagnostic } from '../../model/diagnostics.js';
import type { Origin } from '../../model/origin.js';
import type { Pos, RawObject, YEntry, YNode } from './parse.js';
import {
  API_VERSION, CHAIN_HOOKS, CT_STATE_VALUES, CHAIN_POLICIES, CHAIN_TYPES, DEV_POSITIONS, FILTER_ACTIONS, L4_PROTOS, MATCH_OPS,
  MATCH_POSITIONS, NAT_TYPES, TABLE_FAMILIES, ruleLabels,
  type Chain, type CtStateValue, type Field, type FilterRule, type FirewallConfiguration, type Loc, type Match, type MatchList,
  type NatRule, type RouteRule, type RuleList, type RuleListKey, type RulesSet, type Table,
} from './types.js';
import { tableLabel } from './where.js';

type MapNode = YNode & { kind: 'map' };
type Scope = Pick<Origin, 'resource' | 'table' | 'chain' | 'rule'>;

const TARGET_REF_KEYS = ['apiVersion', 'fieldPath', 'kind', 'name', 'namespace', 'resourceVersion', 'uid'];

export function decodeFirewallConfiguration(
  raw: RawObject,
  file: string,
): { resource?: FirewallConfiguration; diagnostics: Diagnostic[] } {
  const d = new Decoder(file);
  const resource = d.resource(raw.node);
  return d.diagnostics.length ? { diagnostics: d.diagnostics } : { resource, diagnostics: [] };
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
/** The last two segments of a path (`proto.value`), for messages: the origin has the full path. */
const leaf = (path: string) => path.split('.').slice(-2).join('.');

class Decoder {
  readonly diagnostics: Diagnostic[] = [];
  private scope: Scope = {};

  constructor(private readonly file: string) {}

  resource(node: MapNode): FirewallConfiguration | undefined {
    this.scope = { resource: peekResource(node) };
    const m = this.fields(node, '', ['apiVersion', 'kind', 'metadata', 'spec', 'status'], ['apiVersion', 'kind', 'metadata', 'spec']);
    const apiVersion = this.str(m.get('apiVersion'), 'apiVersion');
    if (apiVersion && apiVersion.value !== API_VERSION) {
      this.error(apiVersion.loc, `apiVersion must be ${API_VERSION}, the only version of the FirewallConfiguration CRD`);
    }
    const meta = this.metadata(m.get('metadata'));
    const spec = m.get('spec');
    const specMap = spec && this.map(spec.value, 'spec', spec.keyPos);
    const table = specMap && this.table(this.fields(specMap, 'spec', ['table'], ['table']).get('table'));
    if (!apiVersion || !meta || !table) return undefined;
    return {
      file: this.file,
      apiVersion: apiVersion.value,
      name: meta.name,
      ...(meta.namespace !== undefined ? { namespace: meta.namespace } : {}),
      labels: meta.labels,
      ...(meta.generation !== undefined ? { generation: meta.generation } : {}),
      resource: meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name,
      table,
      loc: locAt('', node.pos),
    };
  }

  private metadata(e: YEntry | undefined) {
    if (!e) return undefined;
    const node = this.map(e.value, 'metadata', e.keyPos);
    if (!node) return undefined;
    const name = this.str(node.entries.get('name'), 'metadata.name');
    if (!node.entries.has('name') || isNull(node.entries.get('name'))) {
      this.error(locAt('metadata.name', node.pos), 'metadata.name is required');
    }
    const ns = this.str(node.entries.get('namespace'), 'metadata.namespace');
    const labels = this.stringMap(node.entries.get('labels'), 'metadata.labels');
    this.stringMap(node.entries.get('annotations'), 'metadata.annotations');
    const gen = node.entries.get('generation')?.value;
    const generation = gen?.kind === 'scalar' && Number.isSafeInteger(gen.value) ? (gen.value as number) : undefined;
    return name ? { name: name.value, namespace: ns?.value, labels: labels ?? {}, generation } : undefined;
  }

  private table(e: YEntry | undefined): Table | undefined {
    if (!e) return undefined;
    const path = 'spec.table';
    const node = this.map(e.value, path, e.keyPos);
    if (!node) return undefined;
    const m = this.fields(node, path, ['name', 'family', 'chains'], ['name', 'family']);
    const name = this.str(m.get('name'), `${path}.name`);
    const family = this.enumOf(m.get('family'), `${path}.family`, TABLE_FAMILIES);
    if (name) this.scope = { ...this.scope, table: tableLabel(family?.value, name.value) };
    const chains: Chain[] = [];
    const ch = m.get('chains');
    const seq = ch && this.seq(ch.value, `${path}.chains`, ch.keyPos);
    seq?.items.forEach((item, i) => {
      const c = this.chain(item, i);
      if (c) chains.push(c);
    });
    const ok = name && family && (!seq || chains.length === seq.items.length);
    return ok ? { name, family, chains, loc: locAt(path, e.keyPos) } : undefined;
  }

  private chain(node: YNode, index: number): Chain | undefined {
    const path = `spec.table.chains[${index}]`;
    const outer = this.scope;
    const map = this.map(node, path, node.pos);
    if (!map) return undefined;
    const nameNode = map.entries.get('name')?.value;
    if (nameNode?.kind === 'scalar' && typeof nameNode.value === 'string') this.scope = { ...outer, chain: nameNode.value };
    try {
      const m = this.fields(map, path, ['hook', 'name', 'policy', 'priority', 'rules', 'type'], ['hook', 'name', 'policy', 'rules', 'type']);
      const name = this.str(m.get('name'), `${path}.name`);
      const type = this.enumOf(m.get('type'), `${path}.type`, CHAIN_TYPES);
      const hook = this.enumOf(m.get('hook'), `${path}.hook`, CHAIN_HOOKS);
      const policy = this.enumOf(m.get('policy'), `${path}.policy`, CHAIN_POLICIES);
      const priority: Field<number> | undefined = m.has('priority')
        ? this.int32(m.get('priority'), `${path}.priority`)
        : { value: 0, loc: locAt(`${path}.priority`, map.pos), defaulted: true };
      const rules = this.rulesSet(m.get('rules'), `${path}.rules`);
      if (!name || !type || !hook || !policy || !priority || !rules) return undefined;
      return { index, name, type, hook, priority, policy, rules, loc: locAt(path, map.pos) };
    } finally {
      this.scope = outer;
    }
  }

  private rulesSet(e: YEntry | undefined, path: string): RulesSet | undefined {
    if (!e) return undefined;
    const node = this.map(e.value, path, e.keyPos);
    if (!node) return undefined;
    const m = this.fields(node, path, ['filterRules', 'natRules', 'routeRules'], []);
    if (m.size > 1) {
      this.error(
        locAt(path, e.keyPos),
        `rules may define at most one rule list (the CRD's maxProperties: 1), but defines ${m.size}: ${[...m.keys()].join(', ')}`,
      );
    }
    const set: RulesSet = { loc: locAt(path, e.keyPos) };
    let ok = true;
    for (const key of ['filterRules', 'natRules', 'routeRules'] as const) {
      const entry = m.get(key);
      if (!entry) continue;
      const list = this.ruleList(entry, join(path, key), key);
      if (!list) ok = false;
      else (set as unknown as Record<RuleListKey, RuleList<unknown>>)[key] = list;
    }
    return ok ? set : undefined;
  }

  private ruleList(e: YEntry, path: string, key: RuleListKey): RuleList<FilterRule | NatRule | RouteRule> | undefined {
    const seq = this.seq(e.value, path, e.keyPos);
    if (!seq) return undefined;
    // Labels first, so errors inside a rule already name it.
    const names = seq.items.map((n) => {
      const v = n.kind === 'map' ? n.entries.get('name')?.value : undefined;
      return v?.kind === 'scalar' && typeof v.value === 'string' ? v.value : undefined;
    });
    const count = new Map<string, number>();
    for (const n of names) if (n) count.set(n, (count.get(n) ?? 0) + 1);
    const outer = this.scope;
    const items: (FilterRule | NatRule | RouteRule)[] = [];
    seq.items.forEach((node, i) => {
      const n = names[i];
      this.scope = { ...outer, rule: n && count.get(n) === 1 ? n : `${key}[${i}]` };
      const r = this.rule(node, `${path}[${i}]`, key, i);
      if (r) items.push(r);
    });
    this.scope = outer;
    if (items.length !== seq.items.length) return undefined;
    ruleLabels(items);
    return { items, loc: locAt(path, e.keyPos) } as RuleList<FilterRule | NatRule | RouteRule>;
  }

  private rule(node: YNode, path: string, list: RuleListKey, index: number): FilterRule | NatRule | RouteRule | undefined {
    const map = this.map(node, path, node.pos);
    if (!map) return undefined;
    const loc = locAt(path, map.pos);
    const label = this.scope.rule!;
    switch (list) {
      case 'filterRules': {
        const m = this.fields(map, path, ['action', 'counter', 'match', 'name', 'value'], ['action', 'match']);
        const name = this.optStr(m.get('name'), `${path}.name`);
        const action = this.enumOf(m.get('action'), `${path}.action`, FILTER_ACTIONS);
        const counter: Field<boolean> | undefined = m.has('counter')
          ? this.bool(m.get('counter'), `${path}.counter`)
          : { value: true, loc: locAt(`${path}.counter`, map.pos), defaulted: true };
        const match = this.matchList(m.get('match'), `${path}.match`);
        const value = this.optStr(m.get('value'), `${path}.value`);
        if (name === null || value === null || !action || !counter || !match) return undefined;
        return { list, index, label, action, counter, match, loc, ...(name ? { name } : {}), ...(value ? { value } : {}) };
      }
      case 'natRules': {
        const m = this.fields(map, path, ['match', 'name', 'natType', 'targetRef', 'to'], ['match', 'natType']);
        const name = this.optStr(m.get('name'), `${path}.name`);
        const natType = this.enumOf(m.get('natType'), `${path}.natType`, NAT_TYPES);
        const to = this.optStr(m.get('to'), `${path}.to`);
        const match = this.matchList(m.get('match'), `${path}.match`);
        let targetRef: Record<string, string> | undefined;
        const t = m.get('targetRef');
        if (t) {
          const tm = this.map(t.value, `${path}.targetRef`, t.keyPos);
          if (tm) {
            const fields = this.fields(tm, `${path}.targetRef`, TARGET_REF_KEYS, []);
            targetRef = {};
            for (const [k, v] of fields) {
              const s = this.str(v, `${path}.targetRef.${k}`);
              if (s) targetRef[k] = s.value;
            }
          }
        }
        if (name === null || to === null || !natType || !match) return undefined;
        return {
          list, index, label, natType, match, loc,
          ...(name ? { name } : {}), ...(to ? { to } : {}), ...(targetRef ? { targetRef } : {}),
        };
      }
      case 'routeRules': {
        const m = this.fields(map, path, ['name'], []);
        const name = this.optStr(m.get('name'), `${path}.name`);
        if (name === null) return undefined;
        return { list, index, label, loc, ...(name ? { name } : {}) };
      }
    }
  }

  private matchList(e: YEntry | undefined, path: string): MatchList | undefined {
    if (!e) return undefined;
    const seq = this.seq(e.value, path, e.keyPos);
    if (!seq) return undefined;
    const items: Match[] = [];
    seq.items.forEach((node, i) => {
      const m = this.match(node, `${path}[${i}]`, i);
      if (m) items.push(m);
    });
    return items.length === seq.items.length ? { items, loc: locAt(path, e.keyPos) } : undefined;
  }

  private match(node: YNode, path: string, index: number): Match | undefined {
    const map = this.map(node, path, node.pos);
    if (!map) return undefined;
    const m = this.fields(map, path, ['ctstate', 'dev', 'ip', 'op', 'port', 'proto'], ['op']);
    const op = this.enumOf(m.get('op'), `${path}.op`, MATCH_OPS);
    const pv = (key: 'ip' | 'port' | 'dev') => {
      const e = m.get(key);
      if (!e) return undefined;
      const p = join(path, key);
      const sub = this.map(e.value, p, e.keyPos);
      if (!sub) return null;
      const f = this.fields(sub, p, ['position', 'value'], ['position', 'value']);
      const position = this.enumOf(f.get('position'), `${p}.position`, key === 'dev' ? DEV_POSITIONS : MATCH_POSITIONS);
      const value = this.str(f.get('value'), `${p}.value`);
      return position && value ? { position, value, loc: locAt(p, e.keyPos) } : null;
    };
    const ip = pv('ip');
    const port = pv('port');
    const dev = pv('dev');
    let proto: Match['proto'] | null | undefined;
    const pe = m.get('proto');
    if (pe) {
      const p = join(path, 'proto');
      const sub = this.map(pe.value, p, pe.keyPos);
      const value = sub && this.enumOf(this.fields(sub, p, ['value'], ['value']).get('value'), `${p}.value`, L4_PROTOS);
      proto = value ? { value, loc: locAt(p, pe.keyPos) } : null;
    }
    const ctstate = this.ctState(m.get('ctstate'), join(path, 'ctstate'));
    if (!op || ip === null || port === null || dev === null || proto === null || ctstate === null) return undefined;
    return {
      index, op, loc: locAt(path, map.pos),
      ...(ip ? { ip: ip as Match['ip'] } : {}), ...(port ? { port: port as Match['port'] } : {}),
      ...(dev ? { dev: dev as Match['dev'] } : {}), ...(proto ? { proto } : {}), ...(ctstate ? { ctstate } : {}),
    };
  }

  /** `ctstate: {value: [new|established|related|untracked|invalid, ...]}`, the list at least one long. */
  private ctState(e: YEntry | undefined, path: string): Match['ctstate'] | null | undefined {
    if (!e) return undefined;
    const sub = this.map(e.value, path, e.keyPos);
    const ve = sub && this.fields(sub, path, ['value'], ['value']).get('value');
    if (!ve) return null;
    const p = `${path}.value`;
    const seq = this.seq(ve.value, p, ve.keyPos);
    if (!seq) return null;
    if (seq.items.length === 0) {
      this.error(locAt(p, seq.pos.line ? seq.pos : ve.keyPos), `${leaf(p)} must list at least one connection tracking state (${CT_STATE_VALUES.join(', ')})`);
      return null;
    }
    const value = seq.items.map((node, i) => this.enumOf({ key: String(i), keyPos: node.pos, value: node }, `${p}[${i}]`, CT_STATE_VALUES));
    if (value.some((v) => !v)) return null;
    return { value: value as Field<CtStateValue>[], loc: locAt(path, e.keyPos) };
  }

  // ─── typed readers ────────────────────────────────────────────────────────────────────────────

  /** Known, non-null entries of a map; reports unknown and missing required keys. */
  private fields(node: MapNode, path: string, allowed: readonly string[], required: readonly string[]): ReadonlyMap<string, YEntry> {
    // The usual map — known keys, none null, the required ones there — is its own answer (no copy).
    let usual = true;
    for (const [key, e] of node.entries) if (!allowed.includes(key) || isNull(e)) usual = false;
    for (const key of required) if (!node.entries.has(key)) usual = false;
    if (usual) return node.entries;
    const out = new Map<string, YEntry>();
    for (const [key, e] of node.entries) {
      if (!allowed.includes(key)) {
        this.error(
          locAt(join(path, key), e.keyPos),
          `unknown field ${JSON.stringify(key)}${path ? ` in ${path}` : ''} (allowed: ${allowed.join(', ')}); ` +
            `kubectl rejects it, and the API server alone would silently drop it`,
        );
      } else if (!isNull(e)) out.set(key, e);
    }
    for (const key of required) {
      if (!out.has(key)) this.error(locAt(join(path, key), node.pos), `required field ${key} is missing`);
    }
    return out;
  }

  private map(node: YNode, path: string, pos: Pos): MapNode | undefined {
    if (node.kind === 'map') return node;
    this.error({ path, ...(node.pos.line ? node.pos : pos) }, `${path ? leaf(path) : 'the document'} must be an object, got ${describe(node)}`);
    return undefined;
  }

  private seq(node: YNode, path: string, pos: Pos): (YNode & { kind: 'seq' }) | undefined {
    if (node.kind === 'seq') return node;
    this.error({ path, ...(node.pos.line ? node.pos : pos) }, `${leaf(path)} must be a list, got ${describe(node)}`);
    return undefined;
  }

  private str(e: YEntry | undefined, path: string): Field<string> | undefined {
    if (!e || isNull(e)) return undefined;
    const loc = locAt(path, e.value.pos);
    if (e.value.kind === 'scalar' && typeof e.value.value === 'string') return { value: e.value.value, loc };
    const hint = e.value.kind === 'scalar' ? ` (quote it: "${String(e.value.value)}")` : '';
    this.error(loc, `${leaf(path)} must be a string, got ${describe(e.value)}${hint}`);
    return undefined;
  }

  /** An optional string: undefined when absent, null when present but wrong. */
  private optStr(e: YEntry | undefined, path: string): Field<string> | undefined | null {
    if (!e) return undefined;
    return this.str(e, path) ?? null;
  }

  private enumOf<T extends string>(e: YEntry | undefined, path: string, values: readonly T[]): Field<T> | undefined {
    const s = this.str(e, path);
    if (!s) return undefined;
    if ((values as readonly string[]).includes(s.value)) return s as Field<T>;
    const near = values.find((v) => v.toLowerCase() === s.value.toLowerCase());
    this.error(
      s.loc,
      `${leaf(path)} ${JSON.stringify(s.value)} is not one of ${values.join(', ')}${near ? ` (did you mean ${near}?)` : ''}`,
    );
    return undefined;
  }

  private int32(e: YEntry | undefined, path: string): Field<number> | undefined {
    if (!e) return undefined;
    const loc = locAt(path, e.value.pos);
    const v = e.value.kind === 'scalar' ? e.value.value : undefined;
    if (typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) return { value: v, loc };
    const why =
      typeof v === 'number' && Number.isInteger(v)
        ? `${v} is out of the int32 range`
        : `got ${describe(e.value)}${typeof v === 'string' ? ' (named priorities such as "srcnat" are not supported)' : ''}`;
    this.error(loc, `${leaf(path)} must be a 32-bit integer: ${why}`);
    return undefined;
  }

  private bool(e: YEntry | undefined, path: string): Field<boolean> | undefined {
    if (!e) return undefined;
    const loc = locAt(path, e.value.pos);
    if (e.value.kind === 'scalar' && typeof e.value.value === 'boolean') return { value: e.value.value, loc };
    this.error(loc, `${leaf(path)} must be a boolean (true or false), got ${describe(e.value)}`);
    return undefined;
  }

  private stringMap(e: YEntry | undefined, path: string): Record<string, string> | undefined {
    if (!e || isNull(e)) return undefined;
    const node = this.map(e.value, path, e.keyPos);
    if (!node) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of node.entries) {
      const s = this.str(v, `${path}.${k}`);
      if (s) out[k] = s.value;
    }
    return out;
  }

  private error(loc: Loc, message: string): void {
    this.diagnostics.push(
      diag('LIQO_SCHEMA', 'error', message, {
        file: this.file,
        ...this.scope,
        field: loc.path || undefined,
        ...(loc.line !== undefined ? { line: loc.line, column: loc.column } : {}),
      }),
    );
  }
}

/** `namespace/name` read before decoding, so that every error already names its resource. */
function peekResource(node: MapNode): string | undefined {
  const meta = node.entries.get('metadata')?.value;
  if (meta?.kind !== 'map') return undefined;
  const get = (k: string) => {
    const v = meta.entries.get(k)?.value;
    return v?.kind === 'scalar' && typeof v.value === 'string' ? v.value : undefined;
  };
  const name = get('name');
  const ns = get('namespace');
  return name === undefined ? undefined : ns ? `${ns}/${name}` : name;
}

/** A location: the path and, where known, line and column (no object spread: this runs per field). */
function locAt(path: string, pos: Pos): Loc {
  return pos.line === undefined ? { path } : { path, line: pos.line, column: pos.column };
}

function isNull(e: YEntry | undefined): boolean {
  return e?.value.kind === 'scalar' && e.value.value === null;
}

function describe(n: YNode): string {
  switch (n.kind) {
    case 'map':
      return 'an object';
    case 'seq':
      return 'a list';
    case 'scalar':
      if (typeof n.value === 'number' && !Number.isFinite(n.value)) return `number ${n.value} (not a finite number)`;
      return n.value === null ? 'null' : `${typeof n.value} ${JSON.stringify(n.value)}`;
  }
}
