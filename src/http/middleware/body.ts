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
/**
 * A body must arrive within this long of the handler asking for it. Node's
 * own requestTimeout is checked only every connectionsCheckingInterval, so a
 * slow sender could hold a request (and its memory) for twice as long.
 */
export const BODY_TIMEOUT_MS = 10_000;

/** The raw request body, bounded in size and in time; over the limit → 413 before it is all read, too slow → 408. */
export async function readBody(ctx: Koa.Context, limit = MAX_BODY, timeoutMs = BODY_TIMEOUT_MS): Promise<Buffer> {
  const reading = getRawBody(ctx.req, { limit, length: ctx.request.length });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Stop reading; the connection closes after the 408 is written (the body's rest is never read).
      ctx.req.pause();
      ctx.set('Connection', 'close');
      reject(new AppError('request_timeout', `the request body did not arrive within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
  });
  reading.catch(() => {}); // after a timeout nobody awaits it any more
  try {
    return await Promise.race([reading, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** The body as text (lenient UTF-8, for the callback envelope whose checks come after). */
export async function readText(ctx: Koa.Context, limit = MAX_BODY, timeoutMs = BODY_TIMEOUT_MS): Promise<string> {
  return (await readBody(ctx, limit, timeoutMs)).toString('utf8');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a JSON body for methods that carry one. It must say it is JSON
 * (else 415: a text/plain body is not silently taken as JSON), be valid
 * UTF-8 (else 400: it would be stored as U+FFFD), be valid JSON, and hold no
 * NUL in any key or string (PostgreSQL text cannot store one: 400 naming it).
 */
export function jsonBody(opts: { timeoutMs?: number } = {}): Koa.Middleware {
  return async function jsonBodyMiddleware(ctx, next) {
    if (['POST', 'PUT', 'PATCH'].includes(ctx.method)) {
      const raw = await readBody(ctx, BULK_BODY_LIMITS[ctx.path] ?? MAX_BODY, opts.timeoutMs);
      if (raw.length === 0 || raw.toString('latin1').trim() === '') {
        ctx.state.body = undefined;
      } else {
        if (!ctx.is('application/json', '+json')) {
          throw new AppError('unsupported_media_type', 'the request body must be JSON, sent with Content-Type: application/json');
        }
        let text: string;
        try {
          text = strictUtf8.decode(raw);
        } catch {
          throw new AppError('invalid_encoding', 'the request body is not valid UTF-8');
        }
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw new AppError('bad_request', 'request body is not valid JSON');
        }
        const where = nulPath(body, 'body');
        if (where) throw new AppError('invalid_text', `${where}: text must not contain NUL (\\u0000) characters`, { field: where });
        ctx.state.body = body;
      }
    }
    await next();
  };
}

/** The path of the first key or string value that holds a NUL, if any. */
function nulPath(v: unknown, path: string): string | undefined {
  if (typeof v === 'string') return v.includes('\u0000') ? path : undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = nulPath(v[i], `${path}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  if (v !== null && typeof v === 'object') {
    for (const [k, child] of Object.entries(v)) {
      if (k.includes('\u0000')) return `${path}.${k.replace(/\u0000/g, '\\u0000')}`;
      const p = nulPath(child, `${path}.${k}`);
      if (p) return p;
    }
  }
  return undefined;
}

/**
 * NUL in the path or the query string (`%00`) is refused before routing:
 * no route takes one, and PostgreSQL could not store or compare it.
 */
export function rejectNulInUrl(): Koa.Middleware {
  return async function rejectNulInUrlMiddleware(ctx, next) {
    if (/%00/i.test(ctx.path) || ctx.path.includes('\u0000')) throw new AppError('invalid_text', 'the path must not contain NUL (%00)', { field: 'path' });
    if (/%00/i.test(ctx.querystring) || ctx.querystring.includes('\u0000')) {
      const name = Object.entries(ctx.query).find(([, v]) => [v].flat().some((x) => typeof x === 'string' && x.includes('\u0000')))?.[0] ?? 'query';
      throw new AppError('invalid_text', `query parameter ${name} must not contain NUL (%00)`, { field: `query.${name}` });
    }
    await next();
  };
}
