import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../db/connection';
import { textArray } from '../db/bulk';
import type { Scope } from '../db/scope';
import { AppError, notFound } from '../lib/errors';
import { customerTransferCounts, employeeStates, groupsOwnedBy, relationsOf, type EmployeeState } from '../ledger';
import { handoverAudit, handoverItems, handoverPlans } from './schema';

const DAY_MS = 86_400_000;
/** WeCom: an on-job customer may be transferred once per 90 days, twice in all (§5.1). */
const ONJOB_WINDOW_DAYS = 90;
/** WeCom: a group may change owner on-job at most twice per 90 days (§4.9). */
const GROUP_ONJOB_MAX = 2;
/** WeCom: a resigned transfer needs the handover to have left at most a year ago (§5.2). */
const RESIGNED_MAX_DAYS = 365;

export type DistributionRule = 'one' | 'round_robin' | 'balance';

export interface PlanInput {
  fromUserId: string;
  takeoverUserIds: string[];
  rule: DistributionRule;
  customers: { mode: 'all' } | { mode: 'tag'; tagIds: string[] } | { mode: 'list'; externalUserIds: string[] } | { mode: 'none' };
  groups: { mode: 'all' } | { mode: 'list'; chatIds: string[] } | { mode: 'none' };
  transferMessage?: string;
  notifyUserIds?: string[];
}

export interface PlanContext {
  /** Whose handovers the caller may plan: the source rep and every takeover must be its employees (else 404). */
  scope: Scope;
  actor: string;
  now: Date;
  customerCap: number;
  automatic?: boolean;
}

interface DraftItem {
  type: 'customer' | 'group';
  targetId: string;
  toUserId: string;
  reason?: string;
}

/** Picks the takeover for each item by the plan's rule; `load` is the takeovers' current customers. */
function distributor(rule: DistributionRule, takeovers: string[], load: Map<string, number>) {
  let next = 0;
  const assigned = new Map(takeovers.map((t) => [t, load.get(t) ?? 0]));
  return (): string => {
    let to: string;
    if (rule === 'one') to = takeovers[0]!;
    else if (rule === 'round_robin') to = takeovers[next++ % takeovers.length]!;
    else to = [...assigned.entries()].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))[0]![0];
    assigned.set(to, (assigned.get(to) ?? 0) + 1);
    return to;
  };
}

/** Why `to` cannot take the source rep's customers at all (undefined: they can). */
export function takeoverProblem(fromUserId: string, to: string, t: EmployeeState | undefined): string | undefined {
  if (to === fromUserId) return 'the takeover is the source rep';
  if (!t) return `takeover ${to} is not a known employee`;
  if (t.status !== 'active') return `takeover ${to} is not active (${t.status})`;
  if (!t.hasCustomerContact) return `takeover ${to} does not have customer contact enabled`;
  return undefined;
}

/**
 * Scope rule for planning: a caller plans handovers only between employees of their scope — the source rep
 * and every takeover (an employee outside it answers 404, as if unknown: no existence oracle). The items
 * are only the source rep's own customers and groups (the preflight reads nothing else).
 */
export function assertTakeoversInScope(scope: Scope, takeovers: readonly string[]): void {
  const outside = takeovers.find((t) => !scope.coversEmployee(t));
  if (outside !== undefined) throw notFound(`employee ${outside}`);
}

/** The source rep's state and the plan's kind (on-job while active, resigned once departed); 404 outside the scope. */
async function sourceOf(tx: Executor, scope: Scope, input: Pick<PlanInput, 'fromUserId' | 'transferMessage'>) {
  if (!scope.coversEmployee(input.fromUserId)) throw notFound(`employee ${input.fromUserId}`);
  const from = (await employeeStates(tx, scope.corpId, [input.fromUserId])).get(input.fromUserId);
  if (!from) throw notFound(`employee ${input.fromUserId}`);
  const kind: 'onjob' | 'resigned' = from.status === 'departed' ? 'resigned' : 'onjob';
  if (kind === 'resigned' && input.transferMessage) throw new AppError('bad_request', 'a resigned transfer carries no message to the customer');
  return { from, kind };
}

/**
 * The preflight: every customer and group of the selection with its takeover
 * by the rule, and the reason it cannot go ahead (if any). Writes nothing.
 */
async function preflight(tx: Executor, input: PlanInput, c: Omit<PlanContext, 'automatic'>, from: EmployeeState, kind: 'onjob' | 'resigned'): Promise<DraftItem[]> {
  const corpId = c.scope.corpId;
  const { now } = c;
  const takeovers = [...new Set(input.takeoverUserIds)];
  const states = await employeeStates(tx, corpId, takeovers);

  // Reasons that hold for the whole plan, per takeover.
  const leftTooLongAgo = kind === 'resigned' && from.departedAt !== null && now.getTime() - from.departedAt.getTime() > RESIGNED_MAX_DAYS * DAY_MS;
  const problemOf = (to: string) => takeoverProblem(input.fromUserId, to, states.get(to));
  const load = new Map(takeovers.map((t) => [t, states.get(t)?.customerCount ?? 0]));
  const items: DraftItem[] = [];

  if (input.customers.mode !== 'none') {
    const sel = input.customers;
    const listed = sel.mode === 'list' ? [...new Set(sel.externalUserIds)] : undefined;
    const relations = await relationsOf(tx, corpId, input.fromUserId, listed);
    const byId = new Map(relations.map((r) => [r.externalUserId, r]));
    let chosen = sel.mode === 'list' ? listed! : relations.filter((r) => r.status === 'active' || r.status === 'awaiting_handover').map((r) => r.externalUserId);
    if (sel.mode === 'tag') chosen = chosen.filter((id) => byId.get(id)!.tagIds.some((t) => sel.tagIds.includes(t)));
    const counts = kind === 'onjob' ? await customerTransferCounts(tx, corpId, chosen, new Date(now.getTime() - ONJOB_WINDOW_DAYS * DAY_MS)) : new Map();
    const pick = distributor(input.rule, takeovers, load);
    const planned = new Map<string, number>();
    for (const id of chosen) {
      const to = pick();
      const rel = byId.get(id);
      const live = kind === 'onjob' ? rel?.status === 'active' : rel?.status === 'awaiting_handover' || rel?.status === 'active';
      const freq = counts.get(id);
      let reason = problemOf(to);
      if (!reason && !live) reason = rel ? `the relation is ${rel.status}, not ${kind === 'onjob' ? 'active' : 'awaiting handover'}` : 'no relation with the source rep';
      if (!reason && leftTooLongAgo) reason = 'the source rep left more than a year ago: WeCom no longer allows a resigned transfer';
      if (!reason && freq && (freq.recent >= 1 || freq.total >= 2)) reason = 'transferred too often: WeCom allows one on-job transfer per 90 days and two in all';
      if (!reason && (load.get(to) ?? 0) + (planned.get(to) ?? 0) >= c.customerCap) reason = `takeover ${to} is at WeCom's customer cap (${c.customerCap})`;
      if (!reason) planned.set(to, (planned.get(to) ?? 0) + 1);
      items.push({ type: 'customer', targetId: id, toUserId: to, reason });
    }
  }

  if (input.groups.mode !== 'none') {
    const listed = input.groups.mode === 'list' ? [...new Set(input.groups.chatIds)] : undefined;
    const groups = await groupsOwnedBy(tx, corpId, input.fromUserId, new Date(now.getTime() - ONJOB_WINDOW_DAYS * DAY_MS), listed);
    const byId = new Map(groups.map((g) => [g.chatId, g]));
    const chosen = listed ?? groups.filter((g) => g.status === 'active' || g.status === 'owner_departed').map((g) => g.chatId);
    const pick = distributor(input.rule === 'balance' ? 'round_robin' : input.rule, takeovers, load);
    for (const chatId of chosen) {
      const to = pick();
      const g = byId.get(chatId);
      let reason = problemOf(to);
      if (!reason && (!g || (g.status !== 'active' && g.status !== 'owner_departed'))) reason = g ? `the group is ${g.status}` : 'the source rep does not own this group';
      if (!reason && leftTooLongAgo) reason = 'the source rep left more than a year ago: WeCom no longer allows a resigned transfer';
      if (!reason && kind === 'onjob' && g!.recentTransfers >= GROUP_ONJOB_MAX) reason = 'group transferred too often: WeCom allows two on-job transfers per 90 days';
      items.push({ type: 'group', targetId: chatId, toUserId: to, reason });
    }
  }

  // An item already in another open plan is not planned twice.
  const open = await tx
    .select({ type: handoverItems.type, targetId: handoverItems.targetId, planId: handoverItems.planId })
    .from(handoverItems)
    .where(and(
      eq(handoverItems.corpId, corpId),
      eq(handoverItems.fromUserId, input.fromUserId),
      inArray(handoverItems.status, ['planned', 'pending', 'waiting']),
      sql`${handoverItems.targetId} = any(${textArray(items.map((i) => i.targetId))})`,
    ));
  const openKey = new Map(open.map((o) => [`${o.type}:${o.targetId}`, o.planId]));
  for (const i of items) {
    const other = openKey.get(`${i.type}:${i.targetId}`);
    if (!i.reason && other !== undefined) i.reason = `already in open handover #${other}`;
  }
  return items;
}

async function insertItems(tx: Executor, corpId: string, planId: number, fromUserId: string, items: DraftItem[], now: Date): Promise<void> {
  for (let i = 0; i < items.length; i += 1000) {
    await tx.insert(handoverItems).values(
      items.slice(i, i + 1000).map((it) => ({
        corpId, planId, type: it.type, targetId: it.targetId, fromUserId, toUserId: it.toUserId,
        status: it.reason ? 'skipped' : 'planned', reason: it.reason ?? null, finalAt: it.reason ? now : null,
      })),
    );
  }
}

/**
 * Writes a draft plan and every item, each checked before anything is sent:
 * a failing item is kept with its reason (`skipped`), the rest go ahead.
 * Returns the plan id. Run it in a transaction.
 */
export async function planHandover(tx: Executor, input: PlanInput, c: PlanContext): Promise<number> {
  const corpId = c.scope.corpId;
  const { now } = c;
  const takeovers = [...new Set(input.takeoverUserIds)];
  if (takeovers.length === 0) throw new AppError('bad_request', 'a handover needs at least one takeover');
  const { from, kind } = await sourceOf(tx, c.scope, input);
  assertTakeoversInScope(c.scope, takeovers);
  const items = await preflight(tx, input, c, from, kind);
  const [plan] = await tx
    .insert(handoverPlans)
    .values({
      corpId, kind, fromUserId: input.fromUserId, takeoverUserIds: takeovers, rule: input.rule,
      transferMessage: input.transferMessage ?? null, selection: { customers: input.customers, groups: input.groups },
      notifyUserIds: input.notifyUserIds ?? [], automatic: c.automatic ?? false, createdBy: c.actor,
    })
    .returning({ id: handoverPlans.id });
  const planId = plan!.id;
  await insertItems(tx, corpId, planId, input.fromUserId, items, now);
  await tx.insert(handoverAudit).values({
    corpId, planId, actor: c.actor, action: 'created',
    detail: { kind, from: input.fromUserId, takeovers, rule: input.rule, items: items.length, skipped: items.filter((i) => i.reason).length, automatic: c.automatic ?? false },
  });
  return planId;
}

/**
 * Writes an automatic draft nobody could be chosen to take over: the plan
 * (what to hand over, and why it has no takeover) without items; they are
 * planned, with their preflight, once a manager sets the takeovers.
 */
export async function draftUnassigned(tx: Executor, input: Omit<PlanInput, 'takeoverUserIds' | 'rule'>, c: PlanContext, reason: string): Promise<number> {
  const { kind } = await sourceOf(tx, c.scope, input);
  const [plan] = await tx
    .insert(handoverPlans)
    .values({
      corpId: c.scope.corpId, kind, fromUserId: input.fromUserId, takeoverUserIds: [], rule: 'one', unassignedReason: reason,
      transferMessage: input.transferMessage ?? null, selection: { customers: input.customers, groups: input.groups },
      notifyUserIds: input.notifyUserIds ?? [], automatic: c.automatic ?? false, createdBy: c.actor,
    })
    .returning({ id: handoverPlans.id });
  const planId = plan!.id;
  await tx.insert(handoverAudit).values({
    corpId: c.scope.corpId, planId, actor: c.actor, action: 'created',
    detail: { kind, from: input.fromUserId, takeovers: [], items: 0, unassigned: reason, automatic: c.automatic ?? false },
  });
  return planId;
}

/**
 * Sets (or changes) the takeovers of a draft: its items are planned again
 * from the plan's selection with the new takeovers, each with a fresh
 * preflight, and an unassigned draft becomes an ordinary one.
 */
export async function setTakeovers(
  tx: Executor, planId: number, t: { takeoverUserIds: string[]; rule: DistributionRule }, c: Omit<PlanContext, 'automatic'>,
): Promise<void> {
  const corpId = c.scope.corpId;
  const { now } = c;
  const takeovers = [...new Set(t.takeoverUserIds)];
  if (takeovers.length === 0) throw new AppError('bad_request', 'a handover needs at least one takeover');
  const [plan] = await tx.select().from(handoverPlans)
    .where(and(eq(handoverPlans.corpId, corpId), eq(handoverPlans.id, planId), c.scope.employee(sql`${handoverPlans.fromUserId}`))).for('update');
  if (!plan) throw notFound(`handover ${planId}`);
  assertTakeoversInScope(c.scope, takeovers);
  if (plan.status !== 'draft') throw new AppError('conflict', `handover ${planId} is ${plan.status}: only a draft's takeovers can change`);
  const selection = plan.selection as Pick<PlanInput, 'customers' | 'groups'>;
  const input: PlanInput = {
    fromUserId: plan.fromUserId, takeoverUserIds: takeovers, rule: t.rule, customers: selection.customers, groups: selection.groups,
    ...(plan.transferMessage ? { transferMessage: plan.transferMessage } : {}),
  };
  const { from, kind } = await sourceOf(tx, c.scope, input);
  // The draft's own items are replaced: they must not count as "already in an open plan".
  await tx.delete(handoverItems).where(and(eq(handoverItems.corpId, corpId), eq(handoverItems.planId, planId)));
  const items = await preflight(tx, input, c, from, kind);
  await insertItems(tx, corpId, planId, plan.fromUserId, items, now);
  await tx.update(handoverPlans).set({ kind, takeoverUserIds: takeovers, rule: t.rule, unassignedReason: null }).where(and(eq(handoverPlans.corpId, corpId), eq(handoverPlans.id, planId)));
  await tx.insert(handoverAudit).values({
    corpId, planId, actor: c.actor, action: 'takeovers_set',
    detail: { takeovers, rule: t.rule, previous: plan.takeoverUserIds, items: items.length, skipped: items.filter((i) => i.reason).length },
  });
}
