import Router from '@koa/router';
import type Koa from 'koa';
import { AppError } from '../../../lib/errors';
import { bearerCheck } from '../../middleware/auth';
import { registry } from '../../../lib/metrics';

export interface OpsDeps {
  ping(): Promise<void>;
  /** Things an operator should know that do not make us unready (e.g. WeCom permission gaps). */
  warnings(): Promise<string[]>;
  /** METRICS_TOKEN: /metrics wants it as a bearer token; without one, /metrics answers only on the loopback. */
  metricsToken?: string;
}

/** The peer is this machine and no proxy stands between (a proxy on the loopback forwards the world). */
export function isDirectLoopback(ctx: Koa.Context): boolean {
  if (ctx.get('x-forwarded-for') || ctx.get('forwarded') || ctx.get('x-real-ip')) return false;
  const a = ctx.req.socket.remoteAddress ?? '';
  return a === '::1' || /^(::ffff:)?127\./.test(a);
}

/** Metrics name queues, routes and counts: not for the open network. */
function metricsAccess(token: string | undefined): Koa.Middleware {
  const valid = token ? bearerCheck(token) : undefined;
  return async (ctx, next) => {
    if (valid) {
      if (!valid(ctx)) {
        ctx.set('WWW-Authenticate', 'Bearer');
        throw new AppError('unauthorized', '/metrics needs the METRICS_TOKEN as a bearer token');
      }
    } else if (!isDirectLoopback(ctx)) {
      throw new AppError('forbidden', '/metrics answers only on the loopback; set METRICS_TOKEN to scrape it from elsewhere');
    }
    await next();
  };
}

/** Unauthenticated probes for orchestrators and Prometheus. */
export function opsRoutes(d: OpsDeps): Router {
  const router = new Router({ sensitive: true, strict: true });
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    try {
      await d.ping();
    } catch {
      throw new AppError('not_ready', 'database is not reachable');
    }
    ctx.body = { status: 'ready', warnings: await d.warnings().catch(() => []) };
  });
  router.get('/metrics', metricsAccess(d.metricsToken), async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return router;
}
