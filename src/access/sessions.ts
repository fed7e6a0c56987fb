import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../db/connection';
import { hashSecret, randomSecret } from './secrets';
import { sessions } from './schema';

export interface SessionTimes {
  /** A session unused for this long ends. */
  idleMs: number;
  /** A session ends this long after sign-in, whatever the activity. */
  maxMs: number;
}

export interface NewSession {
  /** The cookie value (never stored). */
  id: string;
  csrfToken: string;
  expiresAt: Date;
}

export async function createSession(
  ex: Executor, corpId: string, v: { userId: string; kind: 'web' | 'sidebar' }, times: SessionTimes, now: Date,
): Promise<NewSession> {
  const id = randomSecret();
  const csrfToken = randomSecret();
  const expiresAt = new Date(now.getTime() + times.maxMs);
  await ex.insert(sessions).values({
    idHash: hashSecret(id), corpId, userId: v.userId, kind: v.kind, csrfToken, createdAt: now, lastSeenAt: now, expiresAt,
  });
  return { id, csrfToken, expiresAt };
}

export interface LiveSession {
  idHash: string;
  userId: string;
  kind: 'web' | 'sidebar';
  csrfToken: string;
  expiresAt: Date;
}

/** The live session behind a cookie value (not revoked, not past its idle or absolute expiry), touching its last use. */
export async function liveSession(ex: Executor, corpId: string, cookie: string, times: SessionTimes, now: Date): Promise<LiveSession | undefined> {
  const idHash = hashSecret(cookie);
  const [row] = await ex.select().from(sessions).where(and(eq(sessions.idHash, idHash), eq(sessions.corpId, corpId), isNull(sessions.revokedAt)));
  if (!row) return undefined;
  if (now >= row.expiresAt || now.getTime() - row.lastSeenAt.getTime() >= times.idleMs) {
    await revokeSession(ex, corpId, idHash, 'expired', now);
    return undefined;
  }
  // One write a minute at most, not one per request.
  if (now.getTime() - row.lastSeenAt.getTime() >= 60_000) {
    await ex.update(sessions).set({ lastSeenAt: now }).where(and(eq(sessions.idHash, idHash), eq(sessions.corpId, corpId)));
  }
  return { idHash, userId: row.userId, kind: row.kind, csrfToken: row.csrfToken, expiresAt: row.expiresAt };
}

export async function revokeSession(ex: Executor, corpId: string, idHash: string, reason: string, now: Date): Promise<void> {
  await ex
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(eq(sessions.idHash, idHash), eq(sessions.corpId, corpId), isNull(sessions.revokedAt)));
}

/** Ends every live session of an employee (they left, were disabled, or an admin said so); answers how many. */
export async function revokeSessionsOf(ex: Executor, corpId: string, userId: string, reason: string, now: Date): Promise<number> {
  const ended = await ex
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(eq(sessions.corpId, corpId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .returning({ idHash: sessions.idHash });
  return ended.length;
}

/** Live sessions of an employee (for tests and the admin's view). */
export async function liveSessionCount(ex: Executor, corpId: string, userId: string, now: Date): Promise<number> {
  const [row] = await ex
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(sessions)
    .where(and(eq(sessions.corpId, corpId), eq(sessions.userId, userId), isNull(sessions.revokedAt), sql`${sessions.expiresAt} > ${now}`));
  return row?.n ?? 0;
}
