import { and, eq, inArray, notInArray, sql } from 'drizzle-orm';
import { rowsOf, type Executor } from '../../db/connection';
import type { Department, User } from '../../wecom/client';
import { customerGroups, departments, employees, groupHistory, relations } from '../schema';
import { appendRelationHistory, endRelation, type Cause } from './relations';

/** Upserts the department tree; with `complete`, departments no longer listed get `removed_at`. */
export async function applyDepartments(ex: Executor, corpId: string, list: Department[], complete: boolean): Promise<void> {
  for (const d of list) {
    const values = {
      name: d.name, parentId: d.parentid ?? null, leaderUserIds: d.department_leader ?? [],
      sortOrder: d.order ?? null, removedAt: null, updatedAt: new Date(),
    };
    await ex.insert(departments).values({ corpId, id: d.id, ...values }).onConflictDoUpdate({ target: [departments.corpId, departments.id], set: values });
  }
  if (complete && list.length) {
    await ex
      .update(departments)
      .set({ removedAt: new Date() })
      .where(and(eq(departments.corpId, corpId), notInArray(departments.id, list.map((d) => d.id)), sql`${departments.removedAt} is null`));
  }
}

/** WeCom status 5 means left the corp; 2 disabled. */
const statusOf = (wecomStatus?: number) => (wecomStatus === 5 ? 'departed' : wecomStatus === 2 ? 'disabled' : 'active');

/** Upserts an employee from user/get (or a change_contact event's fields). */
export async function applyEmployee(
  ex: Executor,
  corpId: string,
  u: Pick<User, 'userid'> & Partial<User>,
  now: Date,
): Promise<void> {
  const leaderOf = (u.department ?? []).filter((_, i) => u.is_leader_in_dept?.[i] === 1);
  const values = {
    ...(u.name !== undefined ? { name: u.name } : {}),
    ...(u.department !== undefined ? { departmentIds: u.department, leaderOf } : {}),
    ...(u.main_department !== undefined ? { mainDepartment: u.main_department } : {}),
    ...(u.position !== undefined ? { position: u.position } : {}),
    ...(u.status !== undefined ? { wecomStatus: u.status, status: statusOf(u.status) } : {}),
    updatedAt: new Date(),
  };
  await ex
    .insert(employees)
    .values({ corpId, userId: u.userid, ...values, departedAt: u.status === 5 ? now : null })
    .onConflictDoUpdate({
      target: [employees.corpId, employees.userId],
      // Coming back from departed (re-hired, re-enabled) clears the departure.
      set: { ...values, ...(u.status !== undefined && u.status !== 5 ? { departedAt: null } : {}) },
    });
}

/** Marks who has customer contact enabled (get_follow_user_list). */
export async function applyFollowUsers(ex: Executor, corpId: string, userIds: string[]): Promise<void> {
  await ex.update(employees).set({ hasCustomerContact: false }).where(and(eq(employees.corpId, corpId), eq(employees.hasCustomerContact, true)));
  if (userIds.length === 0) return;
  // Follow users we have not read yet get a row now; their detail comes with the directory.
  await ex.insert(employees).values(userIds.map((userId) => ({ corpId, userId }))).onConflictDoNothing();
  await ex.update(employees).set({ hasCustomerContact: true }).where(and(eq(employees.corpId, corpId), inArray(employees.userId, userIds)));
}

export interface Departure {
  /** False when the employee was already departed (nothing changed). */
  changed: boolean;
  relationsFlagged: number;
  groupsFlagged: number;
}

/**
 * An employee left: they become departed, their active relations await
 * handover and their groups are flagged — each with a history row. Nothing
 * about their customers is deleted.
 */
export async function markDeparted(ex: Executor, corpId: string, userId: string, cause: Cause): Promise<Departure> {
  const updated = await ex
    .insert(employees)
    .values({ corpId, userId, status: 'departed', departedAt: cause.at, wecomStatus: 5 })
    .onConflictDoUpdate({
      target: [employees.corpId, employees.userId],
      set: { status: 'departed', departedAt: sql`coalesce(${employees.departedAt}, ${cause.at.toISOString()}::timestamptz)`, wecomStatus: 5, updatedAt: new Date() },
      setWhere: sql`${employees.status} <> 'departed'`,
    })
    .returning({ userId: employees.userId });
  if (updated.length === 0) return { changed: false, relationsFlagged: 0, groupsFlagged: 0 };

  const flagged = await ex
    .update(relations)
    .set({ status: 'awaiting_handover', statusChangedAt: cause.at, updatedAt: new Date() })
    .where(and(eq(relations.corpId, corpId), eq(relations.userId, userId), eq(relations.status, 'active')))
    .returning({ id: relations.id, externalUserId: relations.externalUserId });
  if (flagged.length) {
    await appendRelationHistory(
      ex,
      flagged.map((r) => ({
        corpId, relationId: r.id, userId, externalUserId: r.externalUserId, change: 'awaiting_handover',
        fromStatus: 'active', toStatus: 'awaiting_handover', cause: cause.cause, eventId: cause.eventId, syncJobId: cause.syncJobId,
      })),
    );
  }
  const groups = await ex
    .update(customerGroups)
    .set({ status: 'owner_departed', updatedAt: new Date() })
    .where(and(eq(customerGroups.corpId, corpId), eq(customerGroups.ownerUserId, userId), eq(customerGroups.status, 'active')))
    .returning({ chatId: customerGroups.chatId });
  if (groups.length) {
    await ex.insert(groupHistory).values(
      groups.map((g) => ({ corpId, chatId: g.chatId, memberId: userId, change: 'owner_departed', cause: cause.cause, eventId: cause.eventId, syncJobId: cause.syncJobId })),
    );
  }
  return { changed: true, relationsFlagged: flagged.length, groupsFlagged: groups.length };
}

/**
 * The leaders of an employee's departments (excluding the employee), for
 * alerts and default takeovers. A department without another leader defers to
 * its parent, up the tree.
 */
export async function leadersOf(ex: Executor, corpId: string, userId: string): Promise<string[]> {
  const res = await ex.execute(sql`
    with recursive me as (
      select department_ids from employees where corp_id = ${corpId} and user_id = ${userId}
    ), leaders_of(dept_id) as (
      select d.id from departments d, me where d.corp_id = ${corpId} and d.id = any(me.department_ids)
    ), dept_leaders as (
      select d.id, d.parent_id, array(
        select l from (
          select unnest(d.leader_user_ids) as l
          union
          select e.user_id from employees e where e.corp_id = ${corpId} and e.status = 'active' and d.id = any(e.leader_of)
        ) x where l <> ${userId}
      ) as leaders
      from departments d where d.corp_id = ${corpId}
    ), walk(id, parent_id, leaders, depth) as (
      select dl.id, dl.parent_id, dl.leaders, 0 from dept_leaders dl where dl.id in (select dept_id from leaders_of)
      union all
      select p.id, p.parent_id, p.leaders, w.depth + 1 from walk w join dept_leaders p on p.id = w.parent_id
      where cardinality(w.leaders) = 0 and w.depth < 15
    )
    select distinct unnest(leaders) as leader from walk`);
  return (res as unknown as { rows: Array<{ leader: string }> }).rows.map((r) => r.leader).sort();
}

/**
 * WeCom lists this pair as a departed rep's customer awaiting assignment: the
 * rep has left (recorded if we missed it, with the usual flags and history)
 * and the relation awaits handover.
 */
export async function markAwaitingHandover(ex: Executor, corpId: string, userId: string, externalUserId: string, now: Date): Promise<void> {
  await markDeparted(ex, corpId, userId, { cause: 'sync', at: now });
  const [r] = rowsOf<{ status: string }>(await ex.execute(sql`
    select status from relations where corp_id = ${corpId} and user_id = ${userId} and external_user_id = ${externalUserId}`));
  if (r && r.status !== 'active') return;
  await endRelation(ex, corpId, userId, externalUserId, 'awaiting_handover', { cause: 'sync', at: now }, { source: 'get_unassigned_list' });
}
