import { createHash, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import { AppError } from '../../lib/errors';
import { corpScope } from '../../db/scope';
import { BOOTSTRAP_ADMIN } from '../../policy';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** A check of `Authorization: Bearer <token>` against one token; digests make the compare constant-time whatever the lengths. */
export function bearerCheck(token: string): (ctx: Koa.Context) => boolean {
  const expected = digest(token);
  return (ctx) => {
    const m = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'));
    return !!m?.[1] && timingSafeEqual(digest(m[1].trim()), expected);
  };
}

/** `/api` access: `Authorization: Bearer <token>`. Today the one admin token; roles come with the console. */
export function requireBearer(adminToken: string, corpId: string): Koa.Middleware {
  const valid = bearerCheck(adminToken);
  return async function requireBearerMiddleware(ctx, next) {
    if (!valid(ctx)) {
      ctx.set('WWW-Authenticate', 'Bearer');
      throw new AppError('unauthorized', 'a valid bearer token is required');
    }
    ctx.state.actor = BOOTSTRAP_ADMIN;
    ctx.state.scope = corpScope(corpId);
    await next();
  };
}
