// The bearer token of mutating requests: when the server was given one, PUT and DELETE must carry
// `Authorization: Bearer TOKEN` (compared in constant time); reads stay open.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { onRequestHookHandler } from 'fastify';
import { ApiError } from './errors.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function requireToken(token: string | undefined): onRequestHookHandler {
  const want = token === undefined ? undefined : digest(token);
  return async (req) => {
    if (!want) return;
    const m = /^Bearer +(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m || !timingSafeEqual(digest(m[1]!), want)) throw new ApiError('UNAUTHORIZED', 'this server requires `Authorization: Bearer TOKEN` to change policies');
  };
}
