import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Executor } from '../db/connection';
import type { Scope } from '../db/scope';
import { ledgerSql } from '../ledger';
import { AppError, notFound } from '../lib/errors';
import { assertAuthorInScope, assertCustomer } from './customers';
import { complaints } from './schema';

export type ComplaintRow = typeof complaints.$inferSelect;

/** A complaint is about a customer in scope (else not_found) and recorded in the name of an employee in scope (else not_found). */
const inScope = (scope: Scope) => ledgerSql.contactInScope(scope, sql`${complaints.externalUserId}`);

export async function openComplaint(ex: Executor, scope: Scope, c: { externalUserId: string; userId: string; content: string; openedAt?: Date }): Promise<ComplaintRow> {
  await assertCustomer(ex, scope, c.externalUserId);
  assertAuthorInScope(scope, c.userId);
  const [row] = await ex
    .insert(complaints)
    .values({ corpId: scope.corpId, externalUserId: c.externalUserId, userId: c.userId, content: c.content, ...(c.openedAt ? { openedAt: c.openedAt } : {}) })
    .returning();
  return row!;
}

/** open → resolved, once: resolving a resolved complaint is a conflict; one about a customer out of scope is not_found. */
export async function resolveComplaint(ex: Executor, scope: Scope, id: number, r: { resolution: string; resolvedBy: string; now: Date }): Promise<ComplaintRow> {
  const [row] = await ex
    .update(complaints)
    .set({ status: 'resolved', resolution: r.resolution, resolvedBy: r.resolvedBy, resolvedAt: r.now })
    .where(and(eq(complaints.corpId, scope.corpId), eq(complaints.id, id), eq(complaints.status, 'open'), inScope(scope)))
    .returning();
  if (row) return row;
  const [existing] = await ex.select({ id: complaints.id }).from(complaints).where(and(eq(complaints.corpId, scope.corpId), eq(complaints.id, id), inScope(scope)));
  if (!existing) throw notFound(`complaint ${id}`);
  throw new AppError('conflict', `complaint ${id} is already resolved`);
}

/** One complaint about a customer in scope; undefined otherwise. */
export async function getComplaint(ex: Executor, scope: Scope, id: number): Promise<ComplaintRow | undefined> {
  const [row] = await ex.select().from(complaints).where(and(eq(complaints.corpId, scope.corpId), eq(complaints.id, id), inScope(scope)));
  return row;
}

/** Complaints about customers in scope, newest first (keyset on id), optionally by status or customer. */
export async function listComplaints(
  ex: Executor,
  scope: Scope,
  q: { status?: 'open' | 'resolved'; externalUserId?: string; before?: number; limit: number },
): Promise<ComplaintRow[]> {
  const conds = [eq(complaints.corpId, scope.corpId), inScope(scope)];
  if (q.status) conds.push(eq(complaints.status, q.status));
  if (q.externalUserId) conds.push(eq(complaints.externalUserId, q.externalUserId));
  if (q.before !== undefined) conds.push(lt(complaints.id, q.before));
  return ex.select().from(complaints).where(and(...conds)).orderBy(desc(complaints.id)).limit(q.limit);
}

/** Seconds from opened to resolved (null while open). */
export const timeToResolveSeconds = (c: Pick<ComplaintRow, 'openedAt' | 'resolvedAt'>): number | null =>
  c.resolvedAt ? Math.max(0, Math.round((c.resolvedAt.getTime() - c.openedAt.getTime()) / 1000)) : null;
