// Reading untrusted nft JSON: a context that collects located diagnostics (schema errors,
// unsupported constructs, warnings) instead of stopping at the first one, and typed accessors
// that record an NFT_SCHEMA error and return undefined when a value has the wrong shape.

import { diag, type Code, type Diagnostic, type Severity } from '../../model/diagnostics.js';
import type { Origin } from '../../model/origin.js';
import type { NamedMap, NamedSet } from '../../model/ruleset.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export class Reader {
  readonly diagnostics: Diagnostic[] = [];
  constructor(readonly file: string) {}

  report(code: Code, severity: Severity, message: string, origin: Origin): void {
    this.diagnostics.push(diag(code, severity, message, { ...origin, file: this.file }));
  }
  schema(message: string, origin: Origin): undefined {
    this.report('NFT_SCHEMA', 'error', message, origin);
    return undefined;
  }
  /** One construct nftlens does not model; the message reads `unsupported: NAME[ — detail]`. */
  unsupported(construct: string, origin: Origin, severity: Severity = 'error', detail = ''): undefined {
    this.report('NFT_UNSUPPORTED', severity, `unsupported: ${construct}${detail ? ` — ${detail}` : ''}`, origin);
    return undefined;
  }
  get errors(): Diagnostic[] {
    return this.diagnostics.filter((d) => d.severity === 'error');
  }
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The single key of an nft JSON object like `{"match": {...}}`, or undefined. */
export function soleKey(v: unknown): string | undefined {
  if (!isObject(v)) return undefined;
  const keys = Object.keys(v);
  return keys.length === 1 ? keys[0] : undefined;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' && !Number.isFinite(v)) return `number ${v} (not a finite number)`;
  const text = JSON.stringify(v) ?? String(v);
  return `${typeof v} ${text.length > 40 ? text.slice(0, 40) + '…' : text}`;
}

/** Typed accessors on one object, reporting schema errors at `origin.field + .key`. */
export class Fields {
  constructor(
    private readonly r: Reader,
    readonly obj: JsonObject,
    readonly origin: Origin,
  ) {}

  at(key: string): Origin {
    return { ...this.origin, field: `${this.origin.field ?? ''}.${key}` };
  }
  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj, key) && this.obj[key] !== undefined;
  }
  raw(key: string): Json | undefined {
    return this.has(key) ? this.obj[key] : undefined;
  }
  string(key: string, required = true): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return required ? this.r.schema(`missing "${key}"`, this.at(key)) : undefined;
    if (typeof v !== 'string') return this.r.schema(`"${key}" must be a string, got ${describe(v)}`, this.at(key));
    return v;
  }
  integer(key: string, required = true): number | undefined {
    const v = this.raw(key);
    if (v === undefined) return required ? this.r.schema(`missing "${key}"`, this.at(key)) : undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      return this.r.schema(`"${key}" must be an integer, got ${describe(v)}`, this.at(key));
    }
    return v;
  }
  boolean(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') return this.r.schema(`"${key}" must be true or false, got ${describe(v)}`, this.at(key));
    return v;
  }
  oneOf<T extends string>(key: string, allowed: readonly T[], required = true): T | undefined {
    const v = this.string(key, required);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) {
      return this.r.schema(`"${key}" must be one of ${allowed.join(', ')}, got "${v}"`, this.at(key));
    }
    return v as T;
  }
}

/** What a rule needs from its surroundings: where it is, and how to name `@set` references. */
export interface Scope {
  r: Reader;
  /** Marks a named set/map/object as used by a rule and says what it is (`named set`, …). */
  useObject(name: string): string;
  /**
   * The table's named set of that name, read on first use (and marked used); 'refused' when it
   * cannot be modelled (reported at the set); undefined when no set has that name.
   */
  namedSet(name: string): NamedSet | 'refused' | undefined;
  /** The same for a named map. */
  namedMap(name: string): NamedMap | 'refused' | undefined;
}

/** The scope a named set's or map's own elements are read in: they name no other object. */
export function elementScope(r: Reader, what: string): Scope {
  return { r, useObject: () => what, namedSet: () => undefined, namedMap: () => undefined };
}
