// Test support: the shared Liqo fixtures by path, and the `# location:` / `# rejected-by:` headers
// of the invalid ones read into data, and the diagnostics of a rejected text.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseFirewallConfigurations } from '../../../src/frontends/liqo/index.js';
import { NftlensError, type Diagnostic } from '../../../src/model/diagnostics.js';
import { sharedCorpus } from '../../support/corpus.js';

/** The shared Liqo fixtures (../shared/fixtures/liqo beside the repository), when there. */
export const LIQO_FIXTURES = sharedCorpus('fixtures/liqo');
/** For `describe.skipIf` / `it.skipIf` of the tests that read them. */
export const noLiqoFixtures = LIQO_FIXTURES === undefined;

/** The fixture names of a folder; none without the corpus. */
export function fixtureNames(dir: 'valid' | 'invalid'): string[] {
  if (!LIQO_FIXTURES) return [];
  return readdirSync(join(LIQO_FIXTURES, dir)).filter((f) => f.endsWith('.yaml')).sort();
}

export function readFixture(dir: 'valid' | 'invalid', name: string): { path: string; text: string } {
  if (!LIQO_FIXTURES) throw new Error('the shared Liqo fixtures are not here (guard the test with noLiqoFixtures)');
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
