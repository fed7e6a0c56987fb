import { sql } from 'drizzle-orm';
import { textArray } from '../db/bulk';
import { rowsOf, type Executor } from '../db/connection';
import { customerGroups, groupHistory } from './schema';
import { applyRelations, endRelation, endRelations, type Cause } from './writes/relations';
import { markDeparted } from './writes/directory';
import { and, eq } from 'drizzle-orm';

/** What the ledger knows that a handover preflight needs; handover never reads ledger tables itself. */
export interface EmployeeState {
  userId: string;
  name: string;
  status: string;
  hasCustomerContact: boolean;
  departedAt: Date | null;
  /** Live relations (active or awaiting handover). */
  customerCount: number;
  departmentIds: number[];
}

export async function employeeStates(ex: Executor, corpId: string, userIds: string[]): Promise<Map<string, EmployeeState>> {
  const rows = rowsOf<{ user_id: string; name: string; status: string; has_customer_contact: boolean; departed_at: string | null; n: number; department_ids: number[] }>(
    await ex.execute(sql`
      select e.user_id, e.name, e.status, e.has_customer_contact, e.departed_at, e.department_ids,
             (select count(*)::int from relations r where r.corp_id = e.corp_id and r.user_id = e.user_id and r.status in ('active', 'awaiting_handover')) as n
      from employees e where e.corp_id = ${corpId} and e.user_id = any(${textArray(userIds)})`),
  );
  return new Map(rows.map((r) => [r.user_id, {
    userId: r.user_id, name: r.name, status: r.status, hasCustomerContact: r.has_customer_contact,
    departedAt: r.departed_at ? new Date(r.departed_at) : null, customerCount: Number(r.n), departmentIds: r.department_ids ?? [],
  }]));
}

export interface RelationState {
  externalUserId: string;
  name: string;
  status: string;
  tagIds: string[];
}

/** A rep's relations (optionally only these customers), with their tags. */
export async function relationsOf(ex: Executor, corpId: string, userId: string, externalUserIds?: string[]): Promise<RelationState[]> {
  const only = externalUserIds ? sql`and r.external_user_id = any(${textArray(externalUserIds)})` : sql``;
  return rowsOf<{ external_user_id: string; name: string; status: string; tag_ids: string[] | null }>(
    await ex.execute(sql`
      select r.external_user_id, coalesce(c.name, '') as name, r.status,
             (select array_agg(t.tag_id) from relation_tags t where t.corp_id = r.corp_id and t.relation_id = r.id) as tag_ids
      from relations r left join external_contacts c on c.corp_id = r.corp_id and c.external_user_id = r.external_user_id
      where r.corp_id = ${corpId} and r.user_id = ${userId} ${only}
      order by r.external_user_id`),
  ).map((r) => ({ externalUserId: r.external_user_id, name: r.name, status: r.status, tagIds: r.tag_ids ?? [] }));
}

/** Completed handover transfers per customer: since `since`, and in all (WeCom's on-job frequency rule). */
export async function customerTransferCounts(ex: Executor, corpId: string, externalUserIds: string[], since: Date): Promise<Map<string, { recent: number; total: number }>> {
  if (externalUserIds.length === 0) return new Map();
  const rows = rowsOf<{ external_user_id: string; recent: number; total: number }>(await ex.execute(sql`
    select external_user_id, count(*) filter (where at >= ${since.toISOString()}::timestamptz)::int as recent, count(*)::int as total
    from relation_history
    where corp_id = ${corpId} and change = 'transferred' and coalesce(detail->>'kind', 'onjob') = 'onjob'
      and external_user_id = any(${textArray(externalUserIds)})
    group by external_user_id`));
  return new Map(rows.map((r) => [r.external_user_id, { recent: r.recent, total: r.total }]));
}

export interface GroupState {
  chatId: string;
  name: string;
  status: string;
  ownerUserId: string | null;
  /** On-job owner changes by handover in the window given. */
  recentTransfers: number;
}

export async function groupsOwnedBy(ex: Executor, corpId: string, userId: string, since: Date, chatIds?: string[]): Promise<GroupState[]> {
  const only = chatIds ? sql`and g.chat_id = any(${textArray(chatIds)})` : sql``;
  return rowsOf<{ chat_id: string; name: string; status: string; owner_user_id: string | null; n: number }>(await ex.execute(sql`
    select g.chat_id, g.name, g.status, g.owner_user_id,
           (select count(*)::int from group_history h where h.corp_id = g.corp_id and h.chat_id = g.chat_id and h.cause = 'handover'
              and h.change = 'owner_changed' and (h.detail->>'kind') = 'onjob' and h.at >= ${since.toISOString()}::timestamptz) as n
    from customer_groups g where g.corp_id = ${corpId} and g.owner_user_id = ${userId} ${only}
    order by g.chat_id`)).map((r) => ({ chatId: r.chat_id, name: r.name, status: r.status, ownerUserId: r.owner_user_id, recentTransfers: Number(r.n) }));
}

export interface CustomerTransfer { fromUserId: string; toUserId: string; externalUserId: string; kind: 'onjob' | 'resigned'; planId: number }

/** Completed customer transfers: each old relation ends as transferred, the takeover's is live — both in history. */
export async function recordCustomerTransfers(ex: Executor, corpId: string, transfers: CustomerTransfer[]): Promise<void> {
  if (transfers.length === 0) return;
  const cause: Cause = { cause: 'handover' };
  await endRelations(ex, corpId, transfers.map((t) => ({
    userId: t.fromUserId, externalUserId: t.externalUserId, detail: { kind: t.kind, planId: t.planId, to: t.toUserId },
  })), 'transferred', cause);
  await applyRelations(ex, corpId, transfers.map((t) => ({ userId: t.toUserId, externalUserId: t.externalUserId })), cause);
}

/** A completed group transfer: the new owner, with history. */
export async function recordGroupTransfer(
  ex: Executor, corpId: string,
  t: { chatId: string; fromUserId: string; toUserId: string; kind: 'onjob' | 'resigned'; planId: number },
): Promise<void> {
  const changed = await ex
    .update(customerGroups)
    .set({ ownerUserId: t.toUserId, status: 'active', updatedAt: new Date() })
    .where(and(eq(customerGroups.corpId, corpId), eq(customerGroups.chatId, t.chatId), sql`${customerGroups.ownerUserId} is distinct from ${t.toUserId}`))
    .returning({ chatId: customerGroups.chatId });
  if (changed.length) {
    await ex.insert(groupHistory).values({
      corpId, chatId: t.chatId, change: 'owner_changed', cause: 'handover',
      detail: { from: t.fromUserId, to: t.toUserId, kind: t.kind, planId: t.planId },
    });
  }
}

/** Display names of customers and groups (for messages to reps). */
export async function displayNames(ex: Executor, corpId: string, customerIds: string[], chatIds: string[]): Promise<Map<string, string>> {
  const rows = rowsOf<{ id: string; name: string }>(await ex.execute(sql`
    select external_user_id as id, name from external_contacts where corp_id = ${corpId} and external_user_id = any(${textArray(customerIds)})
    union all
    select chat_id as id, name from customer_groups where corp_id = ${corpId} and chat_id = any(${textArray(chatIds)})`));
  return new Map(rows.map((r) => [r.id, r.name]));
}

/**
 * WeCom lists this pair as a departed rep's customer awaiting assignment: the
 * rep has left (recorded if we missed it, with the usual flags and history)
 * and the relation awaits handover.
 */
export async function markAwaitingHandover(ex: Executor, corpId: string, userId: string, externalUserId: string): Promise<void> {
  await markDeparted(ex, corpId, userId, { cause: 'sync' });
  const [r] = rowsOf<{ status: string }>(await ex.execute(sql`
    select status from relations where corp_id = ${corpId} and user_id = ${userId} and external_user_id = ${externalUserId}`));
  if (r && r.status !== 'active') return;
  await endRelation(ex, corpId, userId, externalUserId, 'awaiting_handover', { cause: 'sync' }, { source: 'get_unassigned_list' });
}

/**
 * Reps who left within WeCom's one-year window and still have customers
 * awaiting handover or groups whose owner left — however we learned of it
 * (callback, sync, unassigned list).
 */
export async function departedWithWork(ex: Executor, corpId: string): Promise<Array<{ userId: string; departedAt: Date }>> {
  const rows = rowsOf<{ user_id: string; departed_at: string }>(await ex.execute(sql`
    select e.user_id, e.departed_at from employees e
    where e.corp_id = ${corpId} and e.status = 'departed' and e.departed_at > now() - interval '1 year'
      and (exists (select 1 from relations r where r.corp_id = e.corp_id and r.user_id = e.user_id and r.status = 'awaiting_handover')
        or exists (select 1 from customer_groups g where g.corp_id = e.corp_id and g.owner_user_id = e.user_id and g.status = 'owner_departed'))
    order by e.departed_at, e.user_id`));
  return rows.map((r) => ({ userId: r.user_id, departedAt: new Date(r.departed_at) }));
}

export interface LeaderLevel {
  departmentId: number;
  /** 0 for the employee's own departments, 1 for their parents, … */
  depth: number;
  /** The department's leaders as WeCom lists them, then any employee flagged leader of it; whoever they are (departed, without customer contact, the employee themselves). */
  leaderUserIds: string[];
}

/**
 * The departments above an employee with their leaders, nearest first, up to
 * the root: the handover's default takeover is the first of these who can
 * take customers. At each depth the main department's line comes first.
 */
export async function leaderChain(ex: Executor, corpId: string, userId: string): Promise<LeaderLevel[]> {
  const rows = rowsOf<{ id: number; depth: number; leader_user_ids: string[] | null; flagged: string[] | null }>(await ex.execute(sql`
    with recursive me as (
      select department_ids, main_department from employees where corp_id = ${corpId} and user_id = ${userId}
    ), walk(start_id, id, parent_id, depth) as (
      select d.id, d.id, d.parent_id, 0 from departments d, me
      where d.corp_id = ${corpId} and d.id = any(me.department_ids) and d.removed_at is null
      union all
      select w.start_id, p.id, p.parent_id, w.depth + 1 from walk w
      join departments p on p.corp_id = ${corpId} and p.id = w.parent_id and p.removed_at is null
      where w.depth < 15
    )
    select w.id, w.depth, d.leader_user_ids,
           array(select e.user_id from employees e where e.corp_id = ${corpId} and w.id = any(e.leader_of) order by e.user_id) as flagged
    from walk w join departments d on d.corp_id = ${corpId} and d.id = w.id, me
    order by w.depth, coalesce(w.start_id = me.main_department, false) desc, w.start_id, w.id`));
  const seen = new Set<number>();
  const out: LeaderLevel[] = [];
  for (const r of rows) {
    if (seen.has(r.id)) continue; // reached again by a longer path
    seen.add(r.id);
    out.push({ departmentId: r.id, depth: r.depth, leaderUserIds: [...new Set([...(r.leader_user_ids ?? []), ...(r.flagged ?? [])])] });
  }
  return out;
}
