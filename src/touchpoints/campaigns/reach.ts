import { sql, type SQL } from 'drizzle-orm';
import { textArray } from '../../db/bulk';
import { corpScope, employeesScope, type Scope } from '../../db/scope';

/**
 * Scope rule for campaigns. A campaign belongs to whoever created it: a
 * caller sees it (and, with 'campaign.edit', changes it) when its creator is
 * an employee in their scope, or when its stored reach lies wholly inside
 * their scope (a token acting for departments, not for an employee) — the
 * whole corp sees every campaign; anything else answers 404. When a campaign is created, or its audience changed, the
 * saver's scope is stored on it (`scope_user_ids`, null = the whole corp),
 * and every run's audience — planned later by a worker with no caller — is
 * intersected with that stored scope: a manager's campaign never reaches a
 * customer or group outside their departments. Previews, deliveries and stats
 * are further limited to the caller's scope (by the delivery's sender).
 */

/** Whether a campaign, given its `created_by` and `scope_user_ids` expressions, is visible in the scope (`true` for the whole corp). */
export function savedInScope(scope: Scope, createdBy: SQL, reach: SQL): SQL {
  if (scope.userIds === null) return sql`true`;
  return sql`(${scope.employee(createdBy)} or (cardinality(${reach}) > 0 and ${reach} <@ ${textArray(scope.userIds)}))`;
}

/** The scope a campaign may reach: the one stored when it was saved. */
export function reachOf(c: { corpId: string; scopeUserIds: string[] | null }): Scope {
  return c.scopeUserIds === null ? corpScope(c.corpId) : employeesScope(c.corpId, c.scopeUserIds);
}

/** Only what both scopes cover (same corp). */
export function intersectScopes(a: Scope, b: Scope): Scope {
  if (a.userIds === null) return b;
  if (b.userIds === null) return a;
  const inB = new Set(b.userIds);
  return employeesScope(a.corpId, a.userIds.filter((u) => inB.has(u)));
}

/** Whether a campaign (by id expression) is visible in the scope: `true` for the whole corp. */
export const campaignVisible = (scope: Scope, campaignId: SQL): SQL =>
  scope.userIds === null
    ? sql`true`
    : sql`exists (select 1 from campaigns cv where cv.corp_id = ${scope.corpId} and cv.id = ${campaignId}
        and ${savedInScope(scope, sql.raw('cv.created_by'), sql.raw('cv.scope_user_ids'))})`;
