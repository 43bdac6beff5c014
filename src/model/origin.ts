// Source locations. Every IR node keeps where it came from so that every error, warning and
// analysis finding can point back at the file, resource, chain, rule and field that caused it.

export interface Origin {
  /** File path as the user gave it, `-` for standard input, `<embedded:NAME>` for built-in examples. */
  file?: string;
  /** Kubernetes resource, `namespace/name` (FirewallConfiguration front end). */
  resource?: string;
  /** Table as `family name`. */
  table?: string;
  chain?: string;
  /** Rule name (Liqo), or `handle N` (nftables). */
  rule?: string;
  /** Path of the field inside the document, e.g. `spec.table.chains[0].rules.filterRules[2].match[1].ip.value`. */
  field?: string;
  /** 1-based line and column in the file, where known. */
  line?: number;
  column?: number;
}

/** `file:line:col resource R, table T, chain C, rule X, field F` — the order a reader narrows down. */
export function formatOrigin(o: Origin): string {
  const parts: string[] = [];
  if (o.file !== undefined) {
    let f = o.file;
    if (o.line !== undefined) f += `:${o.line}` + (o.column !== undefined ? `:${o.column}` : '');
    parts.push(f);
  }
  const where: string[] = [];
  if (o.resource) where.push(`resource ${shown(o.resource)}`);
  if (o.table) where.push(`table ${shown(o.table)}`);
  if (o.chain) where.push(`chain ${shown(o.chain)}`);
  if (o.rule) where.push(`rule ${shown(o.rule)}`);
  if (o.field) where.push(`field ${o.field}`);
  if (where.length) parts.push(where.join(', '));
  return parts.join(' ');
}

/** A name from the input, quoted as JSON when it holds a control character: one diagnostic, one line. */
function shown(name: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(name) ? JSON.stringify(name) : name;
}

/** A child origin: the parent's location narrowed by the given parts. */
export function narrow(parent: Origin, child: Partial<Origin>): Origin {
  return { ...parent, ...child };
}
