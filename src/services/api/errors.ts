// The what-if service's errors: one registry of stable codes (docs/api.md lists exactly these; a
// test checks), the ApiError that carries one, and the error handler that turns every failure
// into a JSON body `{ error: { code, message, … } }` — never a stack trace. Located diagnostics
// of a bad policy or packet go out as data (400 for a request's packets, 422 for a policy);
// schema errors name the field by JSON pointer; anything unexpected is a 500 with an id that the
// log line of the same id explains.

import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance } from 'fastify';
import { NftlensError, type Diagnostic } from '../../model/diagnostics.js';

export const API_ERRORS = {
  BAD_REQUEST: [400, 'the request is malformed (body syntax, content type)'],
  SCHEMA: [400, 'a field of the request breaks its schema; `pointer` names it (JSON pointer)'],
  INVALID_INPUT: [400, 'a packet or tenants file of the request is invalid; `diagnostics` locate it'],
  INVALID_POLICY: [422, 'the policy is invalid; `diagnostics` are what `nftlens validate` says'],
  UNAUTHORIZED: [401, 'a mutating request without the bearer token the server was started with'],
  NOT_FOUND: [404, 'no such policy or route'],
  TOO_LARGE: [413, 'the body is over the size limit, or a batch over the packet limit'],
  UNSUPPORTED_MEDIA: [415, 'a content type the route does not take'],
  BUSY: [503, 'every analysis worker is busy; retry later'],
  TIMEOUT: [503, 'the analysis ran past its time limit and was stopped; the server is fine'],
  INTERNAL: [500, 'nftlens itself failed; `id` names the log line'],
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export interface ErrorBody {
  error: { code: ApiErrorCode; message: string; pointer?: string; diagnostics?: Diagnostic[]; id?: string };
}

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly extra: Omit<ErrorBody['error'], 'code' | 'message'> = {},
  ) {
    super(message);
  }

  get status(): number {
    return API_ERRORS[this.code][0];
  }
}

/** The JSON body and status of any failure of a request. */
export function errorReply(e: unknown, log: FastifyInstance['log']): { status: number; body: ErrorBody } {
  const err = toApiError(e);
  if (err) return { status: err.status, body: { error: { code: err.code, message: err.message, ...err.extra } } };
  const id = randomUUID();
  log.error({ err: e, errorId: id }, 'internal error');
  return { status: 500, body: { error: { code: 'INTERNAL', message: `internal error ${id}; the server log has it`, id } } };
}

function toApiError(e: unknown): ApiError | undefined {
  if (e instanceof ApiError) return e;
  if (e instanceof NftlensError) {
    const d = e.diagnostics;
    return new ApiError('INVALID_INPUT', d.length === 1 ? d[0]!.message : `${d.length} errors`, { diagnostics: d });
  }
  const f = e as FastifyError;
  if (f && typeof f === 'object' && typeof f.code === 'string' && f.code.startsWith('FST_')) {
    if (f.validation?.length) {
      const v = mostSpecific(f.validation);
      const p = v.params as { missingProperty?: string; additionalProperty?: string };
      const named = p.missingProperty ?? p.additionalProperty;
      const pointer = (v.instancePath || '') + (named ? `/${named}` : '');
      const where = f.validationContext === 'body' ? '' : `${f.validationContext} `;
      return new ApiError('SCHEMA', `${where}${pointer || '/'}: ${v.message}`, { pointer });
    }
    if (f.statusCode === 413) return new ApiError('TOO_LARGE', f.message);
    if (f.statusCode === 415) return new ApiError('UNSUPPORTED_MEDIA', f.message);
    if (f.statusCode === 400) return new ApiError('BAD_REQUEST', f.message);
  }
  return undefined;
}

/** Of a validation's errors, the one that says most: the deepest field, a broken rule over a failed alternative. */
function mostSpecific(list: NonNullable<FastifyError['validation']>) {
  const vague = (k: string) => (k === 'oneOf' || k === 'anyOf' || k === 'type' ? 1 : 0);
  return [...list].sort((a, b) => b.instancePath.length - a.instancePath.length || vague(a.keyword) - vague(b.keyword))[0]!;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((e, req, reply) => {
    const { status, body } = errorReply(e, req.log);
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } }));
}
