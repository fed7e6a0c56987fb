import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Executor } from '../db/connection';
import { handoverAudit, handoverItems, handoverPlans } from './schema';

export type PlanRow = typeof handoverPlans.$inferSelect;
export type ItemRow = typeof handoverItems.$inferSelect;
export type AuditRow = typeof handoverAudit.$inferSelect;

export async function getPlan(ex: Executor, corpId: string, planId: number): Promise<{ plan: PlanRow; items: ItemRow[]; counts: Record<string, number> } | undefined> {
  const [plan] = await ex.select().from(handoverPlans).where(and(eq(handoverPlans.corpId, corpId), eq(handoverPlans.id, planId)));
  if (!plan) return undefined;
  const items = await ex.select().from(handoverItems).where(and(eq(handoverItems.corpId, corpId), eq(handoverItems.planId, planId))).orderBy(handoverItems.id);
  const counts: Record<string, number> = {};
  for (const i of items) counts[i.status] = (counts[i.status] ?? 0) + 1;
  return { plan, items, counts };
}

export async function listPlans(ex: Executor, corpId: string, q: { status?: string; limit: number; before?: number }) {
  const conds: SQL[] = [eq(handoverPlans.corpId, corpId)];
  if (q.status) conds.push(eq(handoverPlans.status, q.status as PlanRow['status']));
  if (q.before) conds.push(lt(handoverPlans.id, q.before));
  const plans = await ex.select().from(handoverPlans).where(and(...conds)).orderBy(desc(handoverPlans.id)).limit(q.limit);
  const counts = plans.length
    ? rowsOf<{ plan_id: string; status: string; n: number }>(await ex.execute(sql`
        select plan_id, status, count(*)::int as n from handover_items
        where corp_id = ${corpId} and plan_id = any(${sql.param(plans.map((p) => p.id))}::bigint[]) group by plan_id, status`))
    : [];
  return plans.map((p) => ({
    plan: p,
    counts: Object.fromEntries(counts.filter((c) => Number(c.plan_id) === p.id).map((c) => [c.status, c.n])) as Record<string, number>,
  }));
}

export async function listAudit(ex: Executor, corpId: string, q: { planId?: number; limit: number; before?: number }) {
  const conds: SQL[] = [eq(handoverAudit.corpId, corpId)];
  if (q.planId) conds.push(eq(handoverAudit.planId, q.planId));
  if (q.before) conds.push(lt(handoverAudit.id, q.before));
  return ex.select().from(handoverAudit).where(and(...conds)).orderBy(desc(handoverAudit.id)).limit(q.limit);
}
