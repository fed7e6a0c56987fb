import { and, eq, inArray, sql } from 'drizzle-orm';
import { intArray } from '../../db/bulk';
import { rowsOf, type Executor } from '../../db/connection';
import { departments, employees } from '../schema';

/**
 * The directory as sign-in needs it: who an employee is, which departments
 * they lead, and who works under a set of departments (a manager's scope).
 */

export interface Identity {
  userId: string;
  name: string;
  /** active | disabled | departed. */
  status: string;
  departmentIds: number[];
  /** Departments they lead (WeCom's department_leader / is_leader_in_dept). */
  leaderOf: number[];
}

export async function employeeIdentity(ex: Executor, corpId: string, userId: string): Promise<Identity | undefined> {
  const [row] = await ex
    .select({
      userId: employees.userId, name: employees.name, status: employees.status,
      departmentIds: employees.departmentIds, leaderOf: employees.leaderOf,
    })
    .from(employees)
    .where(and(eq(employees.corpId, corpId), eq(employees.userId, userId)));
  if (!row) return undefined;
  // Leadership as the department list states it counts too (department/list's department_leader).
  const led = await ex
    .select({ id: departments.id })
    .from(departments)
    .where(and(eq(departments.corpId, corpId), sql`${userId} = any(${departments.leaderUserIds})`, sql`${departments.removedAt} is null`));
  return { ...row, leaderOf: [...new Set([...row.leaderOf, ...led.map((d) => d.id)])].sort((a, b) => a - b) };
}

/** Every employee (any status) in these departments or below them. */
export async function employeesUnderDepartments(ex: Executor, corpId: string, departmentIds: number[]): Promise<string[]> {
  if (departmentIds.length === 0) return [];
  const rows = rowsOf<{ user_id: string }>(await ex.execute(sql`
    with recursive d(id) as (
      select unnest(${intArray(departmentIds)})
      union
      select dep.id from departments dep join d on dep.parent_id = d.id where dep.corp_id = ${corpId}
    )
    select e.user_id from employees e where e.corp_id = ${corpId} and e.department_ids && array(select id from d)`));
  return rows.map((r) => r.user_id);
}

/** Department names by id (unknown ids are left out). */
export async function departmentNames(ex: Executor, corpId: string, ids: number[]): Promise<Array<{ id: number; name: string }>> {
  if (ids.length === 0) return [];
  return ex
    .select({ id: departments.id, name: departments.name })
    .from(departments)
    .where(and(eq(departments.corpId, corpId), inArray(departments.id, ids)))
    .orderBy(departments.id);
}
