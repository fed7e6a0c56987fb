import type Koa from 'koa';
import { ZodError } from 'zod';
import { AppError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { callbacksRejected } from '../../lib/metrics';
import { appErrorCode, isWeComError, type WeComError } from '../../wecom/client';

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
      const retryAfter = (e.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      if (retryAfter !== undefined) ctx.set('Retry-After', String(retryAfter));
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
  if (isWeComError(err)) return fromWeCom(err);
  // Errors raised by Koa / raw-body carry an HTTP status (413, 415, 400 …).
  const status = (err as { status?: number; statusCode?: number })?.status ?? (err as { statusCode?: number })?.statusCode;
  if (status === 413) return new AppError('payload_too_large', 'request body is larger than allowed');
  if (status === 415) return new AppError('unsupported_media_type', 'unsupported content encoding or type');
  if (status === 400) return new AppError('bad_request', 'bad request body');
  return new AppError('internal', 'internal error');
}

/** What a person must change in WeCom when an errcode says our configuration lacks something. */
const PERMISSION_FIXES: Readonly<Record<number, string>> = {
  40001: 'the app secret is wrong (WECOM_CONTACT_SECRET / WECOM_AGENT_SECRET)',
  40013: 'the corp id is wrong (WECOM_CORP_ID)',
  48002: 'the app may not call this API: add it to 客户联系 → 可调用接口的应用, or grant the API permission',
  60011: "the app's visible range (可见范围) does not include this employee or department",
  60020: "the server's egress IP is not in the app's 企业可信IP",
  84074: 'the employee has no customer-contact (客户联系) permission',
  301002: "WECOM_AGENT_ID does not belong to the app whose secret is configured",
};

/**
 * WeCom failures that reach a route: rate limits → 429 with Retry-After (45009
 * is a per-minute window; 45033 a concurrency limit that clears at once), the
 * platform busy or unreachable → 503, our missing permissions → 502 naming
 * the fix, anything else → 502 with the errcode.
 */
function fromWeCom(err: WeComError): AppError {
  const code = appErrorCode(err);
  const errcode = err.errcode;
  const what = `WeCom ${err.api}: ${errcode !== undefined ? `errcode ${errcode} (${err.meaning})` : err.meaning}`;
  switch (code) {
    case 'wecom_rate_limited':
      return new AppError(code, `${what}; try again later`, { api: err.api, errcode: errcode ?? null, retryAfterSeconds: errcode === 45033 ? 1 : 60 });
    case 'wecom_unavailable':
      return new AppError(code, `${what}; WeCom is busy or unreachable, try again shortly`, { api: err.api, errcode: errcode ?? null });
    case 'wecom_permission': {
      const permission = (errcode !== undefined && PERMISSION_FIXES[errcode]) || err.meaning;
      return new AppError(code, `${what}: ${permission}`, { api: err.api, errcode: errcode ?? null, permission });
    }
    default:
      return new AppError(code, what, { api: err.api, errcode: errcode ?? null });
  }
}
