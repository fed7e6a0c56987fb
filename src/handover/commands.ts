import type { Db, Executor } from '../db/connection';
import type { Scope } from '../db/scope';
import type { Clock } from '../lib/clock';
import { notFound } from '../lib/errors';
import type { WeComClient } from '../wecom/client';
import { cancelHandover, confirmHandover } from './confirmHandover';
import { assertTakeoversInScope, planHandover, setTakeovers, type DistributionRule, type PlanInput } from './planHandover';
import { getPlan } from './queries';
import { listUnassigned, syncUnassigned, unassignedOf, type UnassignedRep } from './unassigned';

/**
 * The handover's commands: each is one request's whole work (its
 * transactions, the reads around them, the decisions), so a caller — the
 * HTTP API today, a console action tomorrow — calls one function and
 * presents what it answers.
 */

/** A plan with its items and counts by status, as the API shows it. */
export type HandoverPlanView = NonNullable<Awaited<ReturnType<typeof getPlan>>>;

/**
 * Who acts, within which scope, under which cap; the clock is read at each step, as each transaction starts.
 * Scope rule: plans, items, audit and the unassigned pool are those of source reps in the scope; drafting,
 * changing and confirming also need every takeover in it; anything else answers 404.
 */
export interface HandoverCommandContext {
  scope: Scope;
  actor: string;
  customerCap: number;
  clock: Clock;
}

/** The plan, or 404 (also when its source rep is outside the scope). */
export async function handoverPlan(ex: Executor, scope: Scope, planId: number): Promise<HandoverPlanView> {
  const v = await getPlan(ex, scope, planId);
  if (!v) throw notFound(`handover ${planId}`);
  return v;
}

const draft = (db: Db, c: HandoverCommandContext, input: PlanInput) =>
  db.transaction((tx) => planHandover(tx, input, { scope: c.scope, actor: c.actor, now: c.clock.now(), customerCap: c.customerCap }));

/** Drafts a handover with every item's preflight. */
export async function draftHandover(db: Db, c: HandoverCommandContext, input: PlanInput): Promise<HandoverPlanView> {
  const id = await draft(db, c, input);
  return handoverPlan(db, c.scope, id);
}

/** Sets or changes a draft's takeovers: its items are planned again. */
export async function changeTakeovers(
  db: Db, c: HandoverCommandContext, planId: number, t: { takeoverUserIds: string[]; rule: DistributionRule },
): Promise<HandoverPlanView> {
  await db.transaction((tx) => setTakeovers(tx, planId, t, { scope: c.scope, actor: c.actor, now: c.clock.now(), customerCap: c.customerCap }));
  return handoverPlan(db, c.scope, planId);
}

/** Confirms a draft; `onConfirmed` (waking the sender) runs once it is committed. */
export async function confirmHandoverPlan(
  db: Db, c: HandoverCommandContext, planId: number, onConfirmed: () => void,
): Promise<HandoverPlanView> {
  await db.transaction((tx) => confirmHandover(tx, c.scope, planId, c.actor, c.clock.now()));
  onConfirmed();
  return handoverPlan(db, c.scope, planId);
}

/** Cancels: unsent items are cancelled; what WeCom accepted is still tracked. */
export async function cancelHandoverPlan(db: Db, c: HandoverCommandContext, planId: number): Promise<HandoverPlanView> {
  await db.transaction((tx) => cancelHandover(tx, c.scope, planId, c.actor, c.clock.now()));
  return handoverPlan(db, c.scope, planId);
}

/**
 * Departed reps' customers not yet reassigned, for the reps in the scope; `refresh` reads WeCom's list first
 * (the corp's copy is replaced as a whole: it is WeCom's, not the caller's, and only the scope's part is answered).
 */
export async function unassignedPool(db: Db, client: WeComClient, scope: Scope, opts: { refresh: boolean; now: Date }): Promise<UnassignedRep[]> {
  if (opts.refresh) await syncUnassigned(db, client, scope.corpId, opts.now);
  return listUnassigned(db, scope);
}

/**
 * One resigned handover per departed rep for all their unassigned customers
 * not already in an open handover (WeCom's list read first). Answers the plan ids.
 */
export async function draftUnassignedHandovers(
  db: Db, client: WeComClient, c: HandoverCommandContext,
  opts: { takeoverUserIds: string[]; rule: DistributionRule; includeGroups: boolean },
): Promise<number[]> {
  assertTakeoversInScope(c.scope, opts.takeoverUserIds);
  await syncUnassigned(db, client, c.scope.corpId, c.clock.now());
  // Only departed reps in the scope.
  const reps = (await listUnassigned(db, c.scope)).filter((r) => r.customers > r.inOpenHandover);
  const planIds: number[] = [];
  for (const rep of reps) {
    const ids = await unassignedOf(db, c.scope, rep.userId);
    planIds.push(await draft(db, c, {
      fromUserId: rep.userId, takeoverUserIds: opts.takeoverUserIds, rule: opts.rule,
      customers: { mode: 'list', externalUserIds: ids }, groups: opts.includeGroups ? { mode: 'all' } : { mode: 'none' },
    }));
  }
  return planIds;
}
