import { and, asc, eq, or, sql, type SQL } from 'drizzle-orm';
import { textArray } from '../../db/bulk';
import { rowsOf, type Executor } from '../../db/connection';
import type { Scope } from '../../db/scope';
import { employees, relations } from '../schema';
import { count, ilikeContains } from './common';

export interface EmployeeFilter {
  status?: string;
  department?: number;
  /** Case-insensitive substring of the name or the userid. */
  q?: string;
}

export interface EmployeeSummary {
  userId: string;
  name: string;
  departmentIds: number[];
  status: string;
  /** Active relations only. */
  customerCount: number;
}

/** The employees the scope covers. */
export async function listEmployees(ex: Executor, scope: Scope, f: EmployeeFilter): Promise<EmployeeSummary[]> {
  const corpId = scope.corpId;
  const conds: SQL[] = [eq(employees.corpId, corpId), scope.employee(sql`${employees.userId}`)];
  if (f.status) conds.push(eq(employees.status, f.status));
  if (f.department !== undefined) conds.push(sql`${f.department}::int = any(${employees.departmentIds})`);
  if (f.q) conds.push(or(ilikeContains(employees.name, f.q), ilikeContains(employees.userId, f.q))!);
  const active = ex
    .select({ userId: relations.userId, n: count().as('n') })
    .from(relations)
    .where(and(eq(relations.corpId, corpId), eq(relations.status, 'active'), scope.employee(sql`${relations.userId}`)))
    .groupBy(relations.userId)
    .as('active_relations');
  return ex
    .select({
      userId: employees.userId,
      name: employees.name,
      departmentIds: employees.departmentIds,
      status: employees.status,
      customerCount: sql<number>`coalesce(${active.n}, 0)`.mapWith(Number),
    })
    .from(employees)
    .leftJoin(active, eq(active.userId, employees.userId))
    .where(and(...conds))
    .orderBy(asc(employees.userId));
}

/** Employees with what a handover preflight needs to know of them. */
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
