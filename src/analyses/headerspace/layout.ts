// The header layout as the TS side sees it: field names, their variables, and how each field's
// values are coded. Order and widths are not written here: they are read from the analyzer module
// (assembly/analyzer/layout.ts declares them once); only the names are, and each must exist there.

import type { CtState, Interval } from '../../model/values.js';
import type { AnalyzerExports } from './wasm.js';

export const FIELD_NAMES = [
  'nfproto', 'l4proto', 'tcpflags', 'saddr', 'daddr', 'sport', 'dport', 'mark', 'iifname', 'oifname', 'ctstate', 'ctmark', 'pkttype',
] as const;
export type FieldName = (typeof FIELD_NAMES)[number];

export interface FieldVars {
  /** First variable (the field's most significant bit). */
  first: number;
  width: number;
}

/** nfproto codes: one bit. */
export const FAMILY_CODE = { 4: 0, 6: 1 } as const;
/** ct state codes, in the order witnesses prefer them (the smallest first). */
export const CT_STATES: readonly CtState[] = ['new', 'established', 'related', 'invalid', 'untracked'];
/** States with a conntrack entry: only these have a ct mark. */
export const CT_WITH_ENTRY: readonly CtState[] = ['new', 'established', 'related'];
/** meta pkttype codes: the kernel's PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST (model/values.ts PKTTYPE). */
export const PKT_TYPES = ['host', 'broadcast', 'multicast'] as const;
export const TCP = 6;

/**
 * A field's values in a box (`describeBoxes`, `boxWitness`): an interval, or the values whose
 * bits under `mask` are `value` (a mark's masked match, which no interval holds).
 */
export type BoxRange = Interval | Masked;
export interface Masked {
  value: bigint;
  mask: bigint;
}
export const isMasked = (r: BoxRange): r is Masked => 'mask' in r;

export class Layout {
  readonly variables: number;
  private readonly fields = new Map<FieldName, FieldVars>();
  private order: readonly FieldName[] | undefined;

  constructor(ex: AnalyzerExports) {
    this.variables = ex.variables();
    for (const name of FIELD_NAMES) {
      const g = ex[`FIELD_${name.toUpperCase()}`];
      if (!g) throw new Error(`analyzer.wasm has no FIELD_${name.toUpperCase()}`);
      const id = g.value as number;
      this.fields.set(name, { first: ex.fieldFirst(id), width: ex.fieldWidth(id) });
    }
  }

  field(name: FieldName): FieldVars {
    return this.fields.get(name)!;
  }

  /** The variables of an address field that an IPv4 address occupies (its low 32 bits). */
  v4(name: 'saddr' | 'daddr'): FieldVars {
    const f = this.field(name);
    return { first: f.first + f.width - 32, width: 32 };
  }

  /** The high 96 bits of an address field, free for IPv4 packets. */
  v4Free(name: 'saddr' | 'daddr'): FieldVars {
    const f = this.field(name);
    return { first: f.first, width: f.width - 32 };
  }

  /** Fields in variable order. */
  ordered(): readonly FieldName[] {
    return (this.order ??= [...FIELD_NAMES].sort((a, b) => this.field(a).first - this.field(b).first));
  }
}
