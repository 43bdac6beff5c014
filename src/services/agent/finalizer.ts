// The agent's finalizer: one per host, so that a resource applied on several gateways is deleted
// only once every gateway removed its tables (Liqo's gateway has none, and leaves the tables of a
// deleted resource behind: liqo#3142). `nftlens.io/host-<host>`: a qualified name whose name part
// is at most 63 characters of [A-Za-z0-9-_.] beginning and ending alphanumeric — a host name that
// does not fit is lower-cased, other characters become `-`, and a long one is cut and given a
// short hash so that two hosts never share a finalizer.

import { createHash } from 'node:crypto';
import type { FcObject } from '../kube/client.js';

export const FINALIZER_PREFIX = 'nftlens.io/host-';

export function finalizerName(host: string): string {
  let name = host.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  const max = 63 - 'host-'.length;
  if (name !== host || name.length > max || name === '') {
    const h = createHash('sha256').update(host).digest('hex').slice(0, 8);
    name = `${name.slice(0, max - 9).replace(/[^a-z0-9]+$/, '')}-${h}`.replace(/^-/, '');
  }
  return FINALIZER_PREFIX + name;
}

export function hasFinalizer(o: FcObject, name: string): boolean {
  return (o.metadata.finalizers ?? []).includes(name);
}

/** The object with the finalizer added (undefined when already there, or when it is being deleted). */
export function withFinalizer(o: FcObject, name: string): FcObject | undefined {
  if (hasFinalizer(o, name) || o.metadata.deletionTimestamp) return undefined;
  return { ...o, metadata: { ...o.metadata, finalizers: [...(o.metadata.finalizers ?? []), name] } };
}

export function withoutFinalizer(o: FcObject, name: string): FcObject | undefined {
  if (!hasFinalizer(o, name)) return undefined;
  return { ...o, metadata: { ...o.metadata, finalizers: (o.metadata.finalizers ?? []).filter((f) => f !== name) } };
}
