import type { Executor } from '../db/connection';
import { corpScope, employeesScope, type Scope } from '../db/scope';
import { employeeIdentity, employeesUnderDepartments } from '../ledger';
import type { Actor } from '../policy';

/**
 * The actor's data scope: admin = the corp; rep = themself; manager = every
 * employee of the departments they lead or were granted, with
 * sub-departments, and themself. Computed per request, so a reorganisation
 * in WeCom (seen by the ledger) changes what a manager sees at once.
 */
export async function scopeOf(ex: Executor, corpId: string, actor: Actor): Promise<Scope> {
  if (actor.role === 'admin') return corpScope(corpId);
  const self = actor.userId ? [actor.userId] : [];
  if (actor.role !== 'manager') return employeesScope(corpId, self);
  const led = actor.userId ? ((await employeeIdentity(ex, corpId, actor.userId))?.leaderOf ?? []) : [];
  const departments = [...new Set([...led, ...actor.departmentIds])];
  return employeesScope(corpId, [...self, ...(await employeesUnderDepartments(ex, corpId, departments))]);
}
