import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../db/connection';
import { employeeIdentity, type Identity } from '../ledger';
import type { Role } from '../policy';
import { employeeRoles } from './schema';

export interface AccessSettings {
  corpId: string;
  /** LIFELONG_ADMINS: userids that are admins unless an admin set otherwise. */
  admins: readonly string[];
}

export interface EmployeeAccess {
  identity: Identity;
  role: Role;
  /** Granted on top of the departments they lead. */
  grantedDepartmentIds: number[];
  /** Where the role came from. */
  source: 'set' | 'admins_list' | 'leader' | 'default';
}

/** An employee's role: the one an admin set, else LIFELONG_ADMINS, else manager for department leaders, else rep. */
export async function employeeAccess(ex: Executor, s: AccessSettings, userId: string): Promise<EmployeeAccess | undefined> {
  const identity = await employeeIdentity(ex, s.corpId, userId);
  if (!identity) return undefined;
  const [set] = await ex
    .select({ role: employeeRoles.role, departmentIds: employeeRoles.departmentIds })
    .from(employeeRoles)
    .where(and(eq(employeeRoles.corpId, s.corpId), eq(employeeRoles.userId, userId)));
  if (set) return { identity, role: set.role, grantedDepartmentIds: set.departmentIds, source: 'set' };
  if (s.admins.includes(userId)) return { identity, role: 'admin', grantedDepartmentIds: [], source: 'admins_list' };
  if (identity.leaderOf.length > 0) return { identity, role: 'manager', grantedDepartmentIds: [], source: 'leader' };
  return { identity, role: 'rep', grantedDepartmentIds: [], source: 'default' };
}

/** Sets an employee's role and granted departments (replacing what was set). */
export async function setEmployeeRole(
  ex: Executor, corpId: string, userId: string, v: { role: Role; departmentIds: number[] }, by: string, now: Date,
): Promise<void> {
  await ex
    .insert(employeeRoles)
    .values({ corpId, userId, role: v.role, departmentIds: v.departmentIds, updatedBy: by, updatedAt: now })
    .onConflictDoUpdate({
      target: [employeeRoles.corpId, employeeRoles.userId],
      set: { role: sql`excluded.role`, departmentIds: sql`excluded.department_ids`, updatedBy: sql`excluded.updated_by`, updatedAt: sql`excluded.updated_at` },
    });
}
