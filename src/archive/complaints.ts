import { and, desc, eq, lt } from 'drizzle-orm';
import type { Executor } from '../db/connection';
import { AppError, notFound } from '../lib/errors';
import { assertCustomer } from './customers';
import { complaints } from './schema';

export type ComplaintRow = typeof complaints.$inferSelect;

export async function openComplaint(ex: Executor, corpId: string, c: { externalUserId: string; userId: string; content: string; openedAt?: Date }): Promise<ComplaintRow> {
  await assertCustomer(ex, corpId, c.externalUserId);
  const [row] = await ex
    .insert(complaints)
    .values({ corpId, externalUserId: c.externalUserId, userId: c.userId, content: c.content, ...(c.openedAt ? { openedAt: c.openedAt } : {}) })
    .returning();
  return row!;
}

/** open → resolved, once: resolving a resolved complaint is a conflict. */
export async function resolveComplaint(ex: Executor, corpId: string, id: number, r: { resolution: string; resolvedBy: string; now: Date }): Promise<ComplaintRow> {
  const [row] = await ex
    .update(complaints)
    .set({ status: 'resolved', resolution: r.resolution, resolvedBy: r.resolvedBy, resolvedAt: r.now })
    .where(and(eq(complaints.corpId, corpId), eq(complaints.id, id), eq(complaints.status, 'open')))
    .returning();
  if (row) return row;
  const [existing] = await ex.select({ id: complaints.id }).from(complaints).where(and(eq(complaints.corpId, corpId), eq(complaints.id, id)));
  if (!existing) throw notFound(`complaint ${id}`);
  throw new AppError('conflict', `complaint ${id} is already resolved`);
}

export async function getComplaint(ex: Executor, corpId: string, id: number): Promise<ComplaintRow | undefined> {
  const [row] = await ex.select().from(complaints).where(and(eq(complaints.corpId, corpId), eq(complaints.id, id)));
  return row;
}

/** Complaints newest first (keyset on id), optionally by status or customer. */
export async function listComplaints(
  ex: Executor,
  corpId: string,
  q: { status?: 'open' | 'resolved'; externalUserId?: string; before?: number; limit: number },
): Promise<ComplaintRow[]> {
  const conds = [eq(complaints.corpId, corpId)];
  if (q.status) conds.push(eq(complaints.status, q.status));
  if (q.externalUserId) conds.push(eq(complaints.externalUserId, q.externalUserId));
  if (q.before !== undefined) conds.push(lt(complaints.id, q.before));
  return ex.select().from(complaints).where(and(...conds)).orderBy(desc(complaints.id)).limit(q.limit);
}

/** Seconds from opened to resolved (null while open). */
export const timeToResolveSeconds = (c: Pick<ComplaintRow, 'openedAt' | 'resolvedAt'>): number | null =>
  c.resolvedAt ? Math.max(0, Math.round((c.resolvedAt.getTime() - c.openedAt.getTime()) / 1000)) : null;
