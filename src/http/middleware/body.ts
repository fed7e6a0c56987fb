import type Koa from 'koa';
import getRawBody from 'raw-body';
import { AppError } from '../../lib/errors';

export const MAX_BODY = '1mb';
/** Routes that take bulk bodies, and their larger bound (POST /api/orders takes up to 5000 orders). */
export const BULK_BODY_LIMITS: Readonly<Record<string, string>> = {
  '/api/orders': '16mb',
  // Base64 media uploads (files ≤20 MB).
  '/api/media': '28mb',
};

/** The raw request body as text, bounded; over the limit → 413 before it is all read. */
export async function readText(ctx: Koa.Context, limit = MAX_BODY): Promise<string> {
  return getRawBody(ctx.req, { limit, encoding: 'utf8', length: ctx.request.length });
}

/** Parses a JSON body for methods that carry one; malformed JSON → 400. */
export function jsonBody(): Koa.Middleware {
  return async function jsonBodyMiddleware(ctx, next) {
    if (['POST', 'PUT', 'PATCH'].includes(ctx.method)) {
      const text = await readText(ctx, BULK_BODY_LIMITS[ctx.path] ?? MAX_BODY);
      if (text.trim() === '') {
        ctx.state.body = undefined;
      } else {
        try {
          ctx.state.body = JSON.parse(text);
        } catch {
          throw new AppError('bad_request', 'request body is not valid JSON');
        }
      }
    }
    await next();
  };
}
