import { and, eq, sql } from 'drizzle-orm';
import { rowsOf, type Executor } from '../db/connection';
import { displayNames, employeeStates, leadersOf } from '../ledger';
import { appTexts, enqueueAppMessage, type Locale } from '../notify';
import { handoverAudit, handoverItems, handoverPlans } from './schema';

const NAMES_IN_MESSAGE = 20;

/**
 * When a plan completes: each takeover rep hears which customers and groups
 * are now theirs; the manager(s) get a summary. Queued in the completing
 * transaction, once per plan (source keys).
 */
export async function notifyCompletion(tx: Executor, corpId: string, planId: number, locale: Locale): Promise<void> {
  const [plan] = await tx.select().from(handoverPlans).where(and(eq(handoverPlans.corpId, corpId), eq(handoverPlans.id, planId)));
  if (!plan) return;
  const counts = rowsOf<{ status: string; n: number }>(await tx.execute(sql`
    select status, count(*)::int as n from handover_items where corp_id = ${corpId} and plan_id = ${planId} group by status order by status`));
  const succeeded = await tx
    .select({ toUserId: handoverItems.toUserId, type: handoverItems.type, targetId: handoverItems.targetId })
    .from(handoverItems)
    .where(and(eq(handoverItems.corpId, corpId), eq(handoverItems.planId, planId), eq(handoverItems.status, 'succeeded')))
    .orderBy(handoverItems.id);
  const names = await displayNames(tx, corpId, succeeded.filter((i) => i.type === 'customer').map((i) => i.targetId), succeeded.filter((i) => i.type === 'group').map((i) => i.targetId));
  const gained = succeeded.map((i) => ({ to_user_id: i.toUserId, type: i.type, name: names.get(i.targetId) || null }));
  const fromName = (await employeeStates(tx, corpId, [plan.fromUserId])).get(plan.fromUserId)?.name || plan.fromUserId;

  const byRep = new Map<string, typeof gained>();
  for (const g of gained) byRep.set(g.to_user_id, [...(byRep.get(g.to_user_id) ?? []), g]);
  for (const [rep, list] of byRep) {
    const customers = list.filter((x) => x.type === 'customer');
    const groups = list.filter((x) => x.type === 'group');
    await enqueueAppMessage(tx, corpId, {
      toUserIds: [rep], purpose: 'handover_notice', sourceKey: `handover:${planId}:takeover:${rep}`,
      content: appTexts(locale).handoverTakeover({
        from: fromName, customers: customers.length, groups: groups.length, listed: customers.slice(0, NAMES_IN_MESSAGE).map((x) => x.name),
      }),
    });
  }
  const managers = plan.notifyUserIds.length ? plan.notifyUserIds : await leadersOf(tx, corpId, plan.fromUserId);
  await enqueueAppMessage(tx, corpId, {
    toUserIds: managers, purpose: 'handover_summary', sourceKey: `handover:${planId}:summary`,
    content: appTexts(locale).handoverSummary({ from: fromName, planId, counts }),
  });
  await tx.insert(handoverAudit).values({ corpId, planId, actor: 'system', action: 'completed', detail: Object.fromEntries(counts.map((c) => [c.status, c.n])) });
}
