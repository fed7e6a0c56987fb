import { and, eq, sql } from 'drizzle-orm';
import { rowsOf, type Executor } from '../db/connection';
import type { Scope } from '../db/scope';
import { LEASE_FREE } from '../db/workRow';
import { AppError, notFound } from '../lib/errors';
import { assertTakeoversInScope } from './planHandover';
import { handoverAudit, handoverItems, handoverPlans } from './schema';

/** WeCom: at most 300 groups of one old owner are handed over per day (§4.9, §5.2). */
export const GROUPS_PER_OWNER_PER_DAY = 300;
const DAY_MS = 86_400_000;

/** The plan, locked, when its source rep is in the scope (else 404: see queries.ts for the rule). */
async function planOrThrow(tx: Executor, scope: Scope, planId: number) {
  const [plan] = await tx.select().from(handoverPlans)
    .where(and(eq(handoverPlans.corpId, scope.corpId), eq(handoverPlans.id, planId), scope.employee(sql`${handoverPlans.fromUserId}`))).for('update');
  if (!plan) throw notFound(`handover ${planId}`);
  return plan;
}

/**
 * Confirms a draft: its planned items become sendable. Group items are spread
 * over days so no more than WeCom's daily cap of one owner's groups is sent
 * per day (counting groups of the same owner sent in the last day). Two
 * concurrent confirms: the row lock lets one through, the other gets 409.
 * A draft without a takeover, or with nothing that passed the preflight, is
 * refused: confirmed, it could never complete. In a scope, the takeovers must be its employees too.
 */
export async function confirmHandover(tx: Executor, scope: Scope, planId: number, actor: string, now: Date): Promise<void> {
  const corpId = scope.corpId;
  const plan = await planOrThrow(tx, scope, planId);
  assertTakeoversInScope(scope, plan.takeoverUserIds);
  if (plan.status !== 'draft') throw new AppError('conflict', `handover ${planId} is ${plan.status}, not a draft`);
  if (plan.takeoverUserIds.length === 0) {
    throw new AppError('takeover_required', `handover ${planId} has no takeover${plan.unassignedReason ? ` (${plan.unassignedReason})` : ''}: set one first (PUT /api/handovers/${planId}/takeovers)`);
  }
  const [{ planned } = { planned: 0 }] = rowsOf<{ planned: number }>(await tx.execute(sql`
    select count(*)::int as planned from handover_items where corp_id = ${corpId} and plan_id = ${planId} and status = 'planned'`));
  if (planned === 0) {
    throw new AppError('nothing_to_transfer', `handover ${planId} has nothing to transfer: no item passed the preflight (see each item's reason); change the takeovers or cancel it`);
  }
  await tx.update(handoverPlans).set({ status: 'confirmed', confirmedBy: actor, confirmedAt: now }).where(and(eq(handoverPlans.corpId, corpId), eq(handoverPlans.id, planId)));
  await tx
    .update(handoverItems)
    .set({ status: 'pending', availableAt: now })
    .where(and(eq(handoverItems.corpId, corpId), eq(handoverItems.planId, planId), eq(handoverItems.type, 'customer'), eq(handoverItems.status, 'planned')));

  const [{ recent } = { recent: 0 }] = rowsOf<{ recent: number }>(await tx.execute(sql`
    select count(*)::int as recent from handover_items
    where corp_id = ${corpId} and type = 'group' and from_user_id = ${plan.fromUserId}
      and ((sent_at > ${now.toISOString()}::timestamptz - interval '1 day') or (status = 'pending' and available_at <= ${now.toISOString()}::timestamptz))`));
  const groups = await tx
    .select({ id: handoverItems.id })
    .from(handoverItems)
    .where(and(eq(handoverItems.corpId, corpId), eq(handoverItems.planId, planId), eq(handoverItems.type, 'group'), eq(handoverItems.status, 'planned')))
    .orderBy(handoverItems.id);
  for (const [i, g] of groups.entries()) {
    const day = Math.floor((recent + i) / GROUPS_PER_OWNER_PER_DAY);
    await tx.update(handoverItems).set({ status: 'pending', availableAt: new Date(now.getTime() + day * DAY_MS) }).where(and(eq(handoverItems.corpId, corpId), eq(handoverItems.id, g.id)));
  }
  await tx.insert(handoverAudit).values({ corpId, planId, actor, action: 'confirmed', detail: { groupDays: groups.length ? Math.ceil((recent + groups.length) / GROUPS_PER_OWNER_PER_DAY) : 0 } });
}

/**
 * Cancels a plan. Items not yet handed to WeCom are cancelled; items WeCom
 * already accepted cannot be called back (WeCom has no such API) and are
 * still tracked to their final state, as is a batch in flight right now.
 * The source rep in the scope suffices (cancelling hands nothing to anyone).
 */
export async function cancelHandover(tx: Executor, scope: Scope, planId: number, actor: string, now: Date): Promise<number> {
  const corpId = scope.corpId;
  const plan = await planOrThrow(tx, scope, planId);
  if (plan.status === 'completed' || plan.status === 'cancelled') throw new AppError('conflict', `handover ${planId} is already ${plan.status}`);
  const cancelled = await tx
    .update(handoverItems)
    .set({ status: 'cancelled', reason: 'the handover was cancelled', finalAt: now })
    .where(and(
      eq(handoverItems.corpId, corpId),
      eq(handoverItems.planId, planId),
      sql`(${handoverItems.status} = 'planned' or (${handoverItems.status} = 'pending' and ${LEASE_FREE}))`,
    ))
    .returning({ id: handoverItems.id });
  await tx.update(handoverPlans).set({ status: 'cancelled', finishedAt: now }).where(and(eq(handoverPlans.corpId, corpId), eq(handoverPlans.id, planId)));
  await tx.insert(handoverAudit).values({ corpId, planId, actor, action: 'cancelled', detail: { itemsCancelled: cancelled.length } });
  return cancelled.length;
}
