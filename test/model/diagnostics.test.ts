import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CODES, NftlensError, formatDiagnostic } from '../../src/model/diagnostics.js';

describe('diagnostic codes', () => {
  it('docs/errors.md lists exactly the registered codes', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(CODES).sort());
  });

  it('formats a located one-line message', () => {
    const e = NftlensError.of('LIQO_IP', '"10.42.300.15" is not an IP address', {
      file: 'x.yaml',
      line: 12,
      column: 9,
      resource: 'liqo/gw',
      table: 'ip filter',
      chain: 'INPUT',
      rule: 'r1',
      field: 'spec.table.chains[0].rules.filterRules[0].match[0].ip.value',
    });
    expect(formatDiagnostic(e.diagnostics[0]!)).toBe(
      'error[LIQO_IP] x.yaml:12:9 resource liqo/gw, table ip filter, chain INPUT, rule r1, ' +
        'field spec.table.chains[0].rules.filterRules[0].match[0].ip.value: "10.42.300.15" is not an IP address',
    );
    expect(e.code).toBe('LIQO_IP');
  });
});
