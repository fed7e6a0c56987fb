import { createHash, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import { AppError } from '../../lib/errors';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** `/api` access: `Authorization: Bearer <token>`. Today the one admin token; roles come with the console. */
export function requireBearer(adminToken: string): Koa.Middleware {
  const expected = digest(adminToken);
  return async function requireBearerMiddleware(ctx, next) {
    const m = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'));
    // Compare digests so the compare is constant-time whatever the lengths.
    if (!m?.[1] || !timingSafeEqual(digest(m[1].trim()), expected)) {
      ctx.set('WWW-Authenticate', 'Bearer');
      throw new AppError('unauthorized', 'a valid bearer token is required');
    }
    ctx.state.actor = { id: 'admin', role: 'admin' };
    await next();
  };
}
