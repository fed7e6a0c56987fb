import type { Db } from '../db/connection';
import type { Scope } from '../db/scope';
import type { Clock } from '../lib/clock';
import { AppError } from '../lib/errors';
import type { Actor } from '../policy';
import { employeeAccess, type AccessSettings } from './roles';
import { scopeOf } from './scopes';
import { sameSecret } from './secrets';
import { liveSession, revokeSession, type LiveSession, type SessionTimes } from './sessions';
import { liveToken } from './tokens';

export interface AccessDeps extends AccessSettings {
  db: Db;
  clock: Clock;
  sessionTimes: SessionTimes;
}

/** Access as the configuration sets it (LIFELONG_ADMINS, SESSION_IDLE_MIN, SESSION_MAX_H). */
export function accessDeps(
  d: { db: Db; clock: Clock; corpId: string },
  config: { LIFELONG_ADMINS: string; SESSION_IDLE_MIN: number; SESSION_MAX_H: number },
): AccessDeps {
  return {
    ...d,
    admins: config.LIFELONG_ADMINS.split(',').map((u) => u.trim()).filter(Boolean),
    sessionTimes: { idleMs: config.SESSION_IDLE_MIN * 60_000, maxMs: config.SESSION_MAX_H * 3_600_000 },
  };
}

export interface Credentials {
  /** The `Authorization: Bearer` value, if any (not the bootstrap token: the http layer checks that). */
  bearer?: string;
  /** The session cookie's value, if any. */
  sessionCookie?: string;
  /** Whether the request changes state (POST, PUT, PATCH, DELETE). */
  writes: boolean;
  /** The `x-csrf-token` header. */
  csrfHeader?: string;
}

export interface Authenticated {
  actor: Actor;
  scope: Scope;
  /** Set when the caller came with a session cookie. */
  session?: LiveSession;
}

const unauthorized = (message: string) => new AppError('unauthorized', message);

/** Only employees WeCom lists as active may act; a departed or disabled one's session ends here. */
const ENDED_BY_STATUS: Record<string, string> = { departed: 'employee_departed', disabled: 'employee_disabled' };

/**
 * Who a request is, and what they may see: a named API token (bearer) or a
 * session cookie (CSRF token required on writes). Bearer requests need no
 * CSRF token: a browser never adds an Authorization header by itself.
 */
export async function authenticate(d: AccessDeps, c: Credentials): Promise<Authenticated> {
  const now = d.clock.now();
  if (c.bearer !== undefined) {
    const token = await liveToken(d.db, d.corpId, c.bearer, now);
    if (!token) throw unauthorized('the bearer token is unknown, revoked or expired');
    if (token.userId) {
      const acting = await employeeAccess(d.db, d, token.userId);
      if (!acting || acting.identity.status !== 'active') throw unauthorized(`the token's employee ${token.userId} is no longer active`);
    }
    const actor: Actor = { id: token.userId ?? `token:${token.id}`, role: token.role, userId: token.userId, departmentIds: token.departmentIds, via: 'api_token' };
    return { actor, scope: await scopeOf(d.db, d.corpId, actor) };
  }
  if (c.sessionCookie) {
    const session = await liveSession(d.db, d.corpId, c.sessionCookie, d.sessionTimes, now);
    if (!session) throw unauthorized('the session has ended; sign in again');
    const access = await employeeAccess(d.db, d, session.userId);
    const ended = access ? ENDED_BY_STATUS[access.identity.status] : 'employee_unknown';
    if (!access || ended) {
      await revokeSession(d.db, d.corpId, session.idHash, ended ?? 'employee_unknown', now);
      throw unauthorized('the session has ended: the employee is no longer active in WeCom');
    }
    if (c.writes && !(c.csrfHeader && sameSecret(c.csrfHeader, session.csrfToken))) {
      throw new AppError('csrf_failed', 'a signed-in write needs the x-csrf-token header (from GET /api/me)');
    }
    const actor: Actor = { id: session.userId, role: access.role, userId: session.userId, departmentIds: access.grantedDepartmentIds, via: 'session' };
    return { actor, scope: await scopeOf(d.db, d.corpId, actor), session };
  }
  throw unauthorized('sign in, or send Authorization: Bearer <token>');
}
