import Koa from 'koa';
import type { Clock } from '../lib/clock';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { httpRequests } from '../lib/metrics';
import type { Db } from '../db/connection';
import type { GroupCommitAppender } from '../events';
import { ApiRouter } from './apiRouter';
import { accessDeps, type AccessDeps } from '../access';
import { requireCaller } from './middleware/auth';
import { jsonBody, rejectNulInUrl } from './middleware/body';
import { errorHandler } from './middleware/errorHandler';
import { callbackRoutes } from './routes/callback/routes';
import { eventRoutes } from './routes/events/routes';
import { opsRoutes } from './routes/ops/routes';
import { accessRoutes } from './routes/access/routes';
import { loginRoutes, type LoginDeps } from './routes/access/loginRoutes';
import { AppError } from '../lib/errors';

export interface AppDeps {
  config: Readonly<Config>;
  db: Db;
  ping(): Promise<void>;
  log: Logger;
  clock: Clock;
  onEventStored(): void;
  /** Group commit for callbacks (shared with the event worker, which yields to it). */
  appender?: GroupCommitAppender;
  warnings?(): Promise<string[]>;
  /** How long a request body may take to arrive (default BODY_TIMEOUT_MS). */
  bodyTimeoutMs?: number;
  /** Who callers are: tokens, sessions, roles, scope. */
  access?: AccessDeps;
  /** WeCom sign-in (`/auth/*`); without it, sign-in answers that WeCom is not configured. */
  login?: Omit<LoginDeps, 'access'>;
  /** Capabilities add their /api routes here. */
  routes?: Array<(api: ApiRouter) => void>;
}

/** The Koa app; middleware order is fixed here and nowhere else. */
export function createApp(d: AppDeps): Koa {
  const app = new Koa({ proxy: true });
  const access = d.access ?? accessDeps({ db: d.db, clock: d.clock, corpId: d.config.corpId }, d.config);
  const signIn = d.login ?? {
    agentId: d.config.WECOM_AGENT_ID, loginBase: d.config.WECOM_LOGIN_BASE, oauthBase: d.config.WECOM_OAUTH_BASE, publicUrl: d.config.PUBLIC_URL,
    userIdForCode: () => Promise.reject(new AppError('login_failed', 'WeCom sign-in is not configured here')),
  };
  app.silent = true; // errors are logged by errorHandler, once

  // Authentication and body parsing are the api router's own middleware, not a path test in front of it.
  const api = new ApiRouter([requireCaller({ adminToken: d.config.adminToken, access }), jsonBody({ timeoutMs: d.bodyTimeoutMs })]);
  eventRoutes(api, { db: d.db });
  accessRoutes(api, access);
  for (const register of d.routes ?? []) register(api);
  api.router.get('/api/openapi.json', (ctx) => {
    ctx.body = api.document({ title: 'Lifelong', version: '0.1.0' });
  });

  const login = loginRoutes({ ...signIn, access });
  const ops = opsRoutes({ ping: d.ping, warnings: d.warnings ?? (async () => []), metricsToken: d.config.METRICS_TOKEN });
  const callback = callbackRoutes({
    db: d.db,
    clock: d.clock,
    log: d.log,
    onStored: d.onEventStored,
    appender: d.appender,
    secrets: { ...d.config.callback, corpId: d.config.corpId },
  });

  app.use(async function countRequests(ctx, next) {
    try {
      await next();
    } finally {
      httpRequests.inc({ route: (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched', status: String(ctx.status) });
    }
  });
  app.use(errorHandler(d.log));
  // Inside the error handler, around every router: what no route answered gets the JSON error shape
  // (405 keeps the Allow header that allowedMethods set).
  app.use(async function noRouteJson(ctx, next) {
    await next();
    if (ctx.body !== undefined && ctx.body !== null) return;
    if (ctx.status === 405) throw new AppError('method_not_allowed', `${ctx.method} is not allowed here; allowed: ${ctx.response.get('Allow')}`);
    if (ctx.status === 404) throw new AppError('not_found', `no route for ${ctx.method} ${ctx.path}`);
  });
  app.use(rejectNulInUrl());
  app.use(ops.routes());
  app.use(callback.routes()).use(callback.allowedMethods());
  app.use(login.routes()).use(login.allowedMethods());
  app.use(api.router.routes()).use(api.router.allowedMethods());
  return app;
}
