import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../db/connection';
import { AppError, notFound } from '../lib/errors';
import type { Role } from '../policy';
import { employeeIdentity } from '../ledger';
import { hashSecret, randomSecret } from './secrets';
import { apiTokens } from './schema';

/** Tokens are recognisable in a leaked-secret scan. */
const PREFIX = 'llt_';

export interface TokenRequest {
  name: string;
  role: Role;
  userId?: string;
  departmentIds?: number[];
  expiresAt?: Date;
}

export interface TokenView {
  id: number;
  name: string;
  role: Role;
  userId: string | null;
  departmentIds: number[];
  expiresAt: Date | null;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const view = (r: typeof apiTokens.$inferSelect): TokenView => ({
  id: r.id, name: r.name, role: r.role, userId: r.userId, departmentIds: r.departmentIds, expiresAt: r.expiresAt,
  createdBy: r.createdBy, createdAt: r.createdAt, lastUsedAt: r.lastUsedAt, revokedAt: r.revokedAt,
});

/** Creates a token; the secret is in the answer and nowhere else. */
export async function createToken(ex: Executor, corpId: string, req: TokenRequest, by: string, now: Date): Promise<{ token: string; view: TokenView }> {
  if (req.role === 'rep' && !req.userId) throw new AppError('validation_failed', 'a rep token acts as one employee: userId is required');
  if (req.userId && !(await employeeIdentity(ex, corpId, req.userId))) throw new AppError('unknown_employee', `no employee ${req.userId}`);
  if (req.expiresAt && req.expiresAt <= now) throw new AppError('validation_failed', 'expiresAt must be in the future');
  const token = PREFIX + randomSecret();
  const [row] = await ex
    .insert(apiTokens)
    .values({
      corpId, name: req.name, tokenHash: hashSecret(token), role: req.role, userId: req.userId ?? null,
      departmentIds: req.departmentIds ?? [], expiresAt: req.expiresAt ?? null, createdBy: by, createdAt: now,
    })
    .returning();
  return { token, view: view(row!) };
}

export async function listTokens(ex: Executor, corpId: string): Promise<TokenView[]> {
  const rows = await ex.select().from(apiTokens).where(eq(apiTokens.corpId, corpId)).orderBy(desc(apiTokens.id));
  return rows.map(view);
}

export async function revokeToken(ex: Executor, corpId: string, id: number, by: string, now: Date): Promise<TokenView> {
  const [row] = await ex
    .update(apiTokens)
    .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, ${now})`, revokedBy: sql`coalesce(${apiTokens.revokedBy}, ${by})` })
    .where(and(eq(apiTokens.corpId, corpId), eq(apiTokens.id, id)))
    .returning();
  if (!row) throw notFound('token');
  return view(row);
}

/** The live token behind a bearer value (not revoked, not expired), recording its use at most once a minute. */
export async function liveToken(ex: Executor, corpId: string, bearer: string, now: Date): Promise<TokenView | undefined> {
  if (!bearer.startsWith(PREFIX)) return undefined;
  const [row] = await ex
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hashSecret(bearer)), eq(apiTokens.corpId, corpId), isNull(apiTokens.revokedAt)));
  if (!row || (row.expiresAt && row.expiresAt <= now)) return undefined;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= 60_000) {
    await ex.update(apiTokens).set({ lastUsedAt: now }).where(and(eq(apiTokens.corpId, corpId), eq(apiTokens.id, row.id)));
  }
  return view(row);
}
