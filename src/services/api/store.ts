// The policy store of the what-if service: named policies, each held compiled (a Classifier) next
// to the texts it was loaded from. Policies are loaded through the CLI's own path
// (frontends/load.ts), so their diagnostics are exactly the CLI's. A replaced policy is compiled
// off to the side and then swapped in with one Map.set: a request holds the Policy object it
// started with, so requests in flight finish on the old one. The store is an object owned by the
// app (no module state); `version` counts replacements of each name.

import { loadSources, readInputs, type Loaded } from '../../frontends/load.js';
import type { Source } from '../../frontends/sources.js';
import { compileRuleset, type Classifier } from '../../engine/index.js';
import { summarize, type RulesetSummary } from '../../model/plain.js';
import type { Diagnostic } from '../../model/diagnostics.js';
import { AnswerText } from './answer-text.js';

/** A policy name: what a URL path segment carries without escaping. */
export const POLICY_NAME = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$';
const NAME_RE = new RegExp(POLICY_NAME);

export interface Policy {
  readonly name: string;
  readonly version: number;
  readonly updated: string;
  readonly sources: readonly Source[];
  readonly nameRules: boolean;
  readonly loaded: Loaded;
  readonly classifier: Classifier;
  /** Its one-packet answers as JSON text (the deciding rules' and chains' parts written once). */
  readonly answers: AnswerText;
}

export interface PolicyInfo {
  name: string;
  version: number;
  updated: string;
  files: string[];
  summary: RulesetSummary;
  warnings: number;
}

export class PolicyStore {
  private readonly policies = new Map<string, Policy>();

  constructor(private readonly onChange: (count: number) => void = () => {}) {}

  static validName(name: string): boolean {
    return NAME_RE.test(name);
  }

  get(name: string): Policy | undefined {
    return this.policies.get(name);
  }

  names(): string[] {
    return [...this.policies.keys()].sort();
  }

  get size(): number {
    return this.policies.size;
  }

  /**
   * Compiles `sources` into a policy (throws NftlensError with the CLI's diagnostics when they are
   * invalid) and swaps it in under `name`; returns it, and whether the name was new.
   */
  put(name: string, sources: readonly Source[], nameRules = false): { policy: Policy; created: boolean } {
    const loaded = loadSources(sources, { nameRules });
    return this.install(name, sources, nameRules, loaded);
  }

  /** Loads files or folders as the CLI's -f does (no paths: the embedded examples). */
  async load(name: string, paths: readonly string[], nameRules = false): Promise<Policy> {
    return this.put(name, await readInputs(paths), nameRules).policy;
  }

  delete(name: string): boolean {
    const gone = this.policies.delete(name);
    if (gone) this.onChange(this.policies.size);
    return gone;
  }

  private install(name: string, sources: readonly Source[], nameRules: boolean, loaded: Loaded): { policy: Policy; created: boolean } {
    const classifier = compileRuleset(loaded.ruleset);
    const old = this.policies.get(name);
    const policy: Policy = {
      name, version: (old?.version ?? 0) + 1, updated: new Date().toISOString(), sources, nameRules, loaded, classifier, answers: new AnswerText(classifier),
    };
    this.policies.set(name, policy);
    this.onChange(this.policies.size);
    return { policy, created: !old };
  }
}

export function policyInfo(p: Policy): PolicyInfo {
  return {
    name: p.name, version: p.version, updated: p.updated, files: p.loaded.files,
    summary: summarize(p.loaded.ruleset), warnings: warnings(p.loaded.diagnostics, p.classifier.diagnostics).length,
  };
}

/** Warnings of the front ends and of the engine (ENGINE_ORDER), as the CLI prints them. */
export function warnings(...lists: readonly Diagnostic[][]): Diagnostic[] {
  return lists.flat().filter((d) => d.severity !== 'info');
}
