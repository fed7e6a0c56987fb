import Router from '@koa/router';
import type Koa from 'koa';
import { beginLogin, consumeLoginState, createSession, employeeAccess, safeReturnTo, type AccessDeps, type LiveSession } from '../../../access';

import { AppError } from '../../../lib/errors';
import { isInvalidLoginCode } from '../../../wecom/client';
import { CSRF_COOKIE, SESSION_COOKIE } from '../../middleware/auth';

/** What a request signed in by cookie carries besides actor and scope. */
export interface LiveSessionState {
  session?: LiveSession;
}

export interface LoginDeps {
  access: AccessDeps;
  agentId: string | undefined;
  /** WeCom's web-login host (login.work.weixin.qq.com; the simulator in demo mode). */
  loginBase: string;
  /** WeCom's OAuth2 host (open.weixin.qq.com; the simulator in demo mode). */
  oauthBase: string;
  /** This service's public origin; unset = the request's origin. */
  publicUrl?: string;
  /** auth/getuserinfo: the employee a one-time code stands for; throws WeCom's error otherwise. */
  userIdForCode(code: string): Promise<string>;
}

const LOGIN_COOKIE = 'lifelong_login';
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Cookies go Secure except on a loopback host; over plain http elsewhere a Secure cookie would be dropped, so refuse. */
function cookieSecurity(ctx: Koa.Context): { secure: boolean } {
  if (LOOPBACK.has(ctx.hostname)) return { secure: ctx.secure };
  if (!ctx.secure) throw new AppError('bad_request', 'sign-in needs https here (serve over TLS, or a proxy that sends X-Forwarded-Proto: https)');
  return { secure: true };
}

/**
 * Sign-in through WeCom: `/auth/login` (WeCom web login, for the console) and
 * `/auth/sidebar/login` (OAuth2 inside WeCom, for the sidebar) send the
 * browser to WeCom with a one-time state bound to it; `/auth/callback`
 * exchanges the code for the employee and opens a session.
 */
export function loginRoutes(d: LoginDeps): Router {
  const router = new Router({ sensitive: true, strict: true });
  const corpId = d.access.corpId;
  const origin = (ctx: Koa.Context) => (d.publicUrl || `${ctx.protocol}://${ctx.host}`).replace(/\/+$/, '');

  async function start(ctx: Koa.Context, kind: 'web' | 'sidebar') {
    const security = cookieSecurity(ctx);
    // Until the console is served, a web sign-in lands on who you are.
    const returnTo = safeReturnTo(ctx.query.returnTo ?? (kind === 'sidebar' ? '/sidebar' : '/api/me'));
    const { state, browserNonce } = await beginLogin(d.access.db, corpId, kind, returnTo, d.access.clock.now());
    ctx.cookies.set(LOGIN_COOKIE, browserNonce, { httpOnly: true, sameSite: 'lax', path: '/auth', maxAge: 10 * 60_000, ...security });
    const redirectUri = `${origin(ctx)}/auth/callback`;
    const agent = d.agentId ?? '';
    const target =
      kind === 'web'
        ? `${d.loginBase}/wwlogin/sso/login?${new URLSearchParams({ login_type: 'CorpApp', appid: corpId, agentid: agent, redirect_uri: redirectUri, state })}`
        : `${d.oauthBase}/connect/oauth2/authorize?${new URLSearchParams({ appid: corpId, redirect_uri: redirectUri, response_type: 'code', scope: 'snsapi_base', state, agentid: agent })}#wechat_redirect`;
    ctx.redirect(target);
  }

  router.get('/auth/login', (ctx) => start(ctx, 'web'));
  router.get('/auth/sidebar/login', (ctx) => start(ctx, 'sidebar'));

  router.get('/auth/callback', async (ctx) => {
    const security = cookieSecurity(ctx);
    const code = typeof ctx.query.code === 'string' ? ctx.query.code : '';
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    if (!code || !state) throw new AppError('login_failed', 'login refused: WeCom sent no code or state (did the employee cancel?)');
    // The state first: a code with a foreign or replayed state is never exchanged.
    const login = await consumeLoginState(d.access.db, corpId, state, ctx.cookies.get(LOGIN_COOKIE) || undefined, d.access.clock.now());
    ctx.cookies.set(LOGIN_COOKIE, null, { path: '/auth' });
    const userId = await d.userIdForCode(code);
    const access = await employeeAccess(d.access.db, d.access, userId);
    if (!access) throw new AppError('login_failed', `login refused: ${userId} is not an employee Lifelong knows yet (run a sync)`);
    if (access.identity.status !== 'active') throw new AppError('login_failed', `login refused: ${userId} is not active in WeCom`);
    const session = await createSession(d.access.db, corpId, { userId, kind: login.kind }, d.access.sessionTimes, d.access.clock.now());
    const maxAge = d.access.sessionTimes.maxMs;
    ctx.cookies.set(SESSION_COOKIE, session.id, { httpOnly: true, sameSite: 'lax', path: '/', maxAge, ...security });
    // Readable by the page, which echoes it in x-csrf-token (double submit).
    ctx.cookies.set(CSRF_COOKIE, session.csrfToken, { httpOnly: false, sameSite: 'lax', path: '/', maxAge, ...security });
    ctx.redirect(login.returnTo);
  });

  return router;
}

/** The client's code exchange as sign-in needs it: a member's userid, or login_failed for a bad code or a non-member. */
export async function memberForCode(
  client: { auth: { exchangeLoginCode(code: string): Promise<{ kind: 'member'; userId: string } | { kind: 'non_member' }> } },
  code: string,
): Promise<string> {
  let who;
  try {
    who = await client.auth.exchangeLoginCode(code);
  } catch (err) {
    if (isInvalidLoginCode(err)) throw new AppError('login_failed', 'login refused: WeCom says the code is unknown, used or expired (40029); sign in again');
    throw err;
  }
  if (who.kind !== 'member') throw new AppError('login_failed', 'login refused: this WeCom user is not a member of the corp');
  return who.userId;
}
