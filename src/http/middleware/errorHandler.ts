import type Koa from 'koa';
import { ZodError } from 'zod';
import { AppError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { callbacksRejected } from '../../lib/metrics';

/** JSON error shape for every failure: `{ error: { code, message } }`. Maps by class, never by message. */
export function errorHandler(log: Logger): Koa.Middleware {
  return async function errorHandlerMiddleware(ctx, next) {
    try {
      await next();
    } catch (err) {
      const e = toAppError(err);
      // The route's pattern, not the path: a path can carry an external userid or a search text.
      if (e.status >= 500) log.error({ err, method: ctx.method, route: (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched' }, 'request failed');
      if (ctx.path === '/wecom/callback') callbacksRejected.inc({ reason: e.code });
      ctx.status = e.status;
      ctx.type = 'application/json';
      const body: { code: string; message: string; details?: unknown } = {
        code: e.code,
        message: e.expose ? e.message : 'internal error',
      };
      if (e.expose && e.details !== undefined) body.details = e.details;
      ctx.body = { error: body };
    }
  };
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = issues[0];
    return new AppError('validation_failed', first ? `${first.path || '(root)'}: ${first.message}` : 'invalid input', issues);
  }
  // Errors raised by Koa / raw-body carry an HTTP status (413, 415, 400 …).
  const status = (err as { status?: number; statusCode?: number })?.status ?? (err as { statusCode?: number })?.statusCode;
  if (status === 413) return new AppError('payload_too_large', 'request body is larger than allowed');
  if (status === 415) return new AppError('unsupported_media_type', 'unsupported content encoding or type');
  if (status === 400) return new AppError('bad_request', 'bad request body');
  return new AppError('internal', 'internal error');
}
