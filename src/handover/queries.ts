import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Executor } from '../db/connection';
import type { Scope } from '../db/scope';
import { handoverAudit, handoverItems, handoverPlans } from './schema';

export type PlanRow = typeof handoverPlans.$inferSelect;
export type ItemRow = typeof handoverItems.$inferSelect;
export type AuditRow = typeof handoverAudit.$inferSelect;

/**
 * Scope rule for handovers: a plan belongs to the rep whose customers and groups it hands over. A caller
 * sees a plan (its items, its audit entries) when that rep is an employee in their scope; otherwise it is
 * 404. Entries not about a plan (WeCom's unassigned list read) only the whole corp sees.
 */
export const planInScope = (scope: Scope): SQL => and(eq(handoverPlans.corpId, scope.corpId), scope.employee(sql`${handoverPlans.fromUserId}`))!;

export async function getPlan(ex: Executor, scope: Scope, planId: number): Promise<{ plan: PlanRow; items: ItemRow[]; counts: Record<string, number> } | undefined> {
  const corpId = scope.corpId;
  const [plan] = await ex.select().from(handoverPlans).where(and(planInScope(scope), eq(handoverPlans.id, planId)));
  if (!plan) return undefined;
  const items = await ex.select().from(handoverItems).where(and(eq(handoverItems.corpId, corpId), eq(handoverItems.planId, planId))).orderBy(handoverItems.id);
  const counts: Record<string, number> = {};
  for (const i of items) counts[i.status] = (counts[i.status] ?? 0) + 1;
  return { plan, items, counts };
}

export async function listPlans(ex: Executor, scope: Scope, q: { status?: string; limit: number; before?: number }) {
  const corpId = scope.corpId;
  const conds: SQL[] = [planInScope(scope)];
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

export async function listAudit(ex: Executor, scope: Scope, q: { planId?: number; limit: number; before?: number }) {
  const conds: SQL[] = [eq(handoverAudit.corpId, scope.corpId)];
  if (scope.userIds !== null) {
    conds.push(sql`exists (select 1 from handover_plans p where p.corp_id = ${scope.corpId} and p.id = ${handoverAudit.planId}
      and ${scope.employee(sql.raw('p.from_user_id'))})`);
  }
  if (q.planId) conds.push(eq(handoverAudit.planId, q.planId));
  if (q.before) conds.push(lt(handoverAudit.id, q.before));
  return ex.select().from(handoverAudit).where(and(...conds)).orderBy(desc(handoverAudit.id)).limit(q.limit);
}
