import { createHash, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import { authenticate, type AccessDeps } from '../../access';
import { corpScope } from '../../db/scope';
import { AppError } from '../../lib/errors';
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

/** The session cookie (httpOnly) and the double-submit CSRF cookie the console reads. */
export const SESSION_COOKIE = 'lifelong_session';
export const CSRF_COOKIE = 'lifelong_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * `/api` access: the bootstrap `ADMIN_TOKEN`, a named API token, or a
 * signed-in session (writes need the CSRF header). Sets `ctx.state.actor`
 * and `ctx.state.scope` — what every route reads and filters by.
 */
export function requireCaller(o: { adminToken: string; access: AccessDeps }): Koa.Middleware {
  const isAdminToken = bearerCheck(o.adminToken);
  return async function requireCallerMiddleware(ctx, next) {
    const header = ctx.get('authorization');
    try {
      if (header) {
        const m = /^Bearer\s+(.+)$/i.exec(header);
        if (!m?.[1]) throw new AppError('unauthorized', 'Authorization must be Bearer <token>');
        if (isAdminToken(ctx)) {
          ctx.state.actor = BOOTSTRAP_ADMIN;
          ctx.state.scope = corpScope(o.access.corpId);
        } else {
          Object.assign(ctx.state, await authenticate(o.access, { bearer: m[1].trim(), writes: WRITES.has(ctx.method) }));
        }
      } else {
        const cookie = ctx.cookies.get(SESSION_COOKIE);
        Object.assign(ctx.state, await authenticate(o.access, {
          sessionCookie: cookie || undefined, writes: WRITES.has(ctx.method), csrfHeader: ctx.get(CSRF_HEADER) || undefined,
        }));
      }
    } catch (err) {
      if (err instanceof AppError && err.code === 'unauthorized') ctx.set('WWW-Authenticate', 'Bearer');
      throw err;
    }
    await next();
  };
}
