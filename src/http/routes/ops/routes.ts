import Router from '@koa/router';
import { AppError } from '../../../lib/errors';
import { registry } from '../../../lib/metrics';

export interface OpsDeps {
  ping(): Promise<void>;
  /** Things an operator should know that do not make us unready (e.g. WeCom permission gaps). */
  warnings(): Promise<string[]>;
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
  router.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return router;
}
