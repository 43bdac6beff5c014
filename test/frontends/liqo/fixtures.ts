// Test support: the shared Liqo fixtures by path, and the `# location:` / `# rejected-by:` headers
// of the invalid ones read into data, and the diagnostics of a rejected text.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { parseFirewallConfigurations } from '../../../src/frontends/liqo/index.js';
import { NftlensError, type Diagnostic } from '../../../src/model/diagnostics.js';

const here = dirname(fileURLToPath(import.meta.url));
/** /work/shared/fixtures/liqo, found relative to the repository. */
export const LIQO_FIXTURES = resolve(here, '../../../../shared/fixtures/liqo');

export function fixtureNames(dir: 'valid' | 'invalid'): string[] {
  return readdirSync(join(LIQO_FIXTURES, dir)).filter((f) => f.endsWith('.yaml')).sort();
}

export function readFixture(dir: 'valid' | 'invalid', name: string): { path: string; text: string } {
  const path = join(LIQO_FIXTURES, dir, name);
  return { path, text: readFileSync(path, 'utf8') };
}

export interface InvalidHeader {
  reason: string;
  rejectedBy: string;
  /** `resource X, chain Y (chains[1]), rule Z, field F` split into parts. */
  location: { resource?: string; chain?: string; chainIndex?: number; rule?: string; field?: string };
}

export function invalidHeader(text: string): InvalidHeader {
  const get = (key: string) => {
    const m = new RegExp(`^# ${key}: (.*)$`, 'm').exec(text);
    if (!m) throw new Error(`fixture has no "# ${key}:" header`);
    return m[1]!.trim();
  };
  const location: InvalidHeader['location'] = {};
  for (const part of get('location').split(', ')) {
    const [key, ...rest] = part.split(' ');
    const value = rest.join(' ');
    switch (key) {
      case 'resource':
        location.resource = value;
        break;
      case 'chain': {
        const m = /^(\S+)(?: \(chains\[(\d+)\]\))?$/.exec(value)!;
        location.chain = m[1]!;
        if (m[2] !== undefined) location.chainIndex = Number(m[2]);
        break;
      }
      case 'rule':
        location.rule = value;
        break;
      case 'field':
        location.field = value;
        break;
      default:
        throw new Error(`unknown location part ${part}`);
    }
  }
  return { reason: get('invalid-reason'), rejectedBy: get('rejected-by'), location };
}

/** The diagnostics a text is rejected with; fails the test if it is accepted or throws anything else. */
export function errorsOf(text: string, file = 'f.yaml', opts: { nameRules?: boolean } = {}): Diagnostic[] {
  try {
    parseFirewallConfigurations(text, file, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(NftlensError);
    return (e as NftlensError).diagnostics;
  }
  throw new Error('expected the resource to be rejected');
}
