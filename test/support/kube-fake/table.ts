// The `as=Table` rendering kubectl asks for on `get`: a Name column, the CRD's
// additionalPrinterColumns (date columns as ages, as the API server's CRD table convertor does) or
// "Created At" for built-ins, and each row's object as PartialObjectMetadata.
import type { ResourceType } from './resources.js';
import type { Obj } from './status.js';

function age(ts: string | undefined): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400 * 2) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function pick(o: Obj, jsonPath: string): unknown {
  let v: any = o;
  for (const part of jsonPath.replace(/^\./, '').split('.')) v = v?.[part];
  return v;
}

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept.split(',')[0] ?? '');
}

function columns(t: ResourceType): { name: string; type: string; jsonPath: string; format?: string; description?: string; priority?: number }[] {
  const cols = t.printerColumns.length ? t.printerColumns : [{ name: 'Created At', type: 'date', jsonPath: '.metadata.creationTimestamp' }];
  return cols;
}

export function toTable(t: ResourceType, objects: Obj[], listMeta: Obj, withHeaders = true): Obj {
  const cols = columns(t);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withHeaders
      ? [
          { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
          ...cols.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 })),
        ]
      : [],
    rows: objects.map((o) => ({
      cells: [o.metadata.name, ...cols.map((c) => (c.type === 'date' ? age(pick(o, c.jsonPath) as string) : (pick(o, c.jsonPath) ?? null)))],
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
