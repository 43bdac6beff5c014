// Kubernetes `Status` objects and the error type the fake's handlers throw: every failure reaches
// the client as a Status with the code, reason and message a real API server would send.

export type Obj = Record<string, any>;

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason?: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
}

/** A failure carried to the client as a Status. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }
}

export function statusObject(code: number, reason: string, message: string, details?: StatusDetails): Obj {
  const status: Obj = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: code < 400 ? 'Success' : 'Failure', message, reason, code };
  if (details) status.details = details;
  return status;
}

export function errorStatus(e: ApiError): Obj {
  return statusObject(e.code, e.reason, e.message, e.details);
}

/** `firewallconfigurations.networking.liqo.io` or `pods` — how messages name a resource. */
export function qualified(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const notFound = (resource: string, group: string, kind: string, name: string) =>
  new ApiError(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, { name, group, kind: resource });

export const alreadyExists = (resource: string, group: string, name: string) =>
  new ApiError(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, { name, group, kind: resource });

export const conflict = (resource: string, group: string, name: string) =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group, kind: resource },
  );

export const expired = (message: string) => new ApiError(410, 'Expired', message);

export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);

export function invalid(kind: string, group: string, name: string, causes: { field: string; message: string }[]): ApiError {
  const list = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  return new ApiError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${causes.length > 1 ? `[${list}]` : list}`, {
    name,
    group,
    kind,
    causes: causes.map((c) => ({ reason: 'FieldValueInvalid', message: c.message, field: c.field })),
  });
}
