// The Liqo fixtures as objects, and the location an invalid fixture's header comment gives.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

export type Obj = Record<string, any>;

/** The FirewallConfigurations of a file (documents and List items), as plain objects. */
export function objectsOf(file: string): Obj[] {
  const out: Obj[] = [];
  for (const d of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const o = d.toJS() as Obj | null;
    for (const item of o?.kind === 'List' ? o.items : [o]) if (item?.kind === 'FirewallConfiguration') out.push(item);
  }
  return out;
}

/** The `# location:` line of an invalid fixture, as { resource, chain, rule, field }. */
export function fixtureLocation(file: string): Record<string, string> {
  const line = /^# location: (.*)$/m.exec(readFileSync(file, 'utf8'))?.[1] ?? '';
  return Object.fromEntries(line.split(', ').map((p) => [p.split(' ')[0]!, p.slice(p.indexOf(' ') + 1)]));
}
