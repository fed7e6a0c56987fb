import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Executor } from '../db/connection';
import { AppError } from '../lib/errors';
import { hashSecret, randomSecret } from './secrets';
import { loginStates } from './schema';

/** How long a login may take between leaving for WeCom and coming back. */
const STATE_TTL_MS = 10 * 60_000;

/** Only a local path may be returned to (no `//host`, no scheme): no open redirect. */
export function safeReturnTo(v: unknown): string {
  return typeof v === 'string' && /^\/(?![/\\])[^\s]*$/.test(v) ? v : '/';
}

/**
 * Starts a login: a one-time `state` for WeCom to hand back, bound to this
 * browser by a nonce the caller sets as a cookie (a state alone, stolen from a
 * URL, cannot finish someone else's login).
 */
export async function beginLogin(
  ex: Executor, corpId: string, kind: 'web' | 'sidebar', returnTo: string, now: Date,
): Promise<{ state: string; browserNonce: string }> {
  const state = randomSecret();
  const browserNonce = randomSecret();
  await ex.delete(loginStates).where(and(eq(loginStates.corpId, corpId), lt(loginStates.expiresAt, now)));
  await ex.insert(loginStates).values({
    stateHash: hashSecret(state), corpId, kind, browserHash: hashSecret(browserNonce), returnTo: safeReturnTo(returnTo),
    createdAt: now, expiresAt: new Date(now.getTime() + STATE_TTL_MS),
  });
  return { state, browserNonce };
}

/** Uses a state once: unknown, used, expired, or from another browser → login_failed. */
export async function consumeLoginState(
  ex: Executor, corpId: string, state: string, browserNonce: string | undefined, now: Date,
): Promise<{ kind: 'web' | 'sidebar'; returnTo: string }> {
  const refused = (why: string) => new AppError('login_failed', `login refused: ${why}; start again from the login page`);
  if (!browserNonce) throw refused('this browser did not start the login');
  const [row] = await ex
    .update(loginStates)
    .set({ usedAt: now })
    .where(and(eq(loginStates.stateHash, hashSecret(state)), eq(loginStates.corpId, corpId), isNull(loginStates.usedAt), sql`${loginStates.expiresAt} > ${now}`))
    .returning();
  if (!row) throw refused('the state is unknown, used or expired');
  if (row.browserHash !== hashSecret(browserNonce)) throw refused('this browser did not start the login');
  return { kind: row.kind, returnTo: row.returnTo };
}
