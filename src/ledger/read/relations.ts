import { and, asc, desc, eq, gte, inArray, sql } from 'drizzle-orm';
import { textArray } from '../../db/bulk';
import { rowsOf, type Executor } from '../../db/connection';
import type { Scope } from '../../db/scope';
import { relationHistory, relations, RELATION_STATUSES, type RelationStatus } from '../schema';
import { count } from './common';
import { isoMicros, keysetCondition, type KeysetBefore } from '../../db/keyset';

export interface RelationHistoryEntry {
  id: number;
  userId: string;
  change: string;
  fromStatus: string | null;
  toStatus: string | null;
  cause: string;
  at: Date;
  detail: unknown;
}

/** A relation history entry as the timeline pages it: the time as exact text (for keyset cursors) instead of a Date. */
export type RelationHistoryItem = Omit<RelationHistoryEntry, 'at'> & {
  /** ISO with microseconds (exact, for keyset cursors). */
  atText: string;
};

/** A customer's relation history (every rep, every cause), newest first, keyset-paginated. */
export async function relationHistoryPage(
  ex: Executor,
  corpId: string,
  externalUserId: string,
  opts: { before?: KeysetBefore; limit: number },
): Promise<RelationHistoryItem[]> {
  const rows = rowsOf<{ id: string; user_id: string; change: string; from_status: string | null; to_status: string | null; cause: string; at_text: string; detail: unknown }>(
    await ex.execute(sql`
      select id, user_id, change, from_status, to_status, cause, ${isoMicros(sql.raw('at'))} as at_text, detail
      from relation_history
      where corp_id = ${corpId} and external_user_id = ${externalUserId} and ${keysetCondition(sql.raw('at'), sql.raw('id'), opts.before)}
      order by at desc, id desc
      limit ${opts.limit}`),
  );
  return rows.map((r) => ({
    id: Number(r.id), userId: r.user_id, change: r.change, fromStatus: r.from_status, toStatus: r.to_status, cause: r.cause,
    atText: r.at_text, detail: r.detail,
  }));
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

/** Relations that came through one contact-way `state`, by what became of them. */
export interface StateRelationStats {
  adds: number;
  active: number;
  removedByCustomer: number;
  removedByRep: number;
  /** Gone from WeCom, side unknown (found by reconciliation). */
  removedOther: number;
  /** Moved to another rep by a handover (the customer stayed with the corp). */
  transferred: number;
  awaitingHandover: number;
  /** Added at least `days` days before `now`… */
  addedBeforeWindow: number;
  /** …and of those, still active (or awaiting handover). */
  stillActiveAfterWindow: number;
}

/** Per-state counts over the relations of the scope's employees whose follow state is one of `states`. */
export async function relationStatsByState(ex: Executor, scope: Scope, states: string[], now: Date, days = 30): Promise<Map<string, StateRelationStats>> {
  const corpId = scope.corpId;
  const out = new Map<string, StateRelationStats>();
  if (states.length === 0) return out;
  const cutoff = new Date(now.getTime() - days * 86_400_000).toISOString();
  const rows = rowsOf<Record<string, string | number>>(await ex.execute(sql`
    select state,
           count(*)::int as adds,
           count(*) filter (where status = 'active')::int as active,
           count(*) filter (where status = 'removed_by_customer')::int as removed_by_customer,
           count(*) filter (where status = 'removed_by_rep')::int as removed_by_rep,
           count(*) filter (where status = 'removed')::int as removed_other,
           count(*) filter (where status = 'transferred')::int as transferred,
           count(*) filter (where status = 'awaiting_handover')::int as awaiting_handover,
           count(*) filter (where added_at <= ${cutoff}::timestamptz)::int as added_before,
           count(*) filter (where added_at <= ${cutoff}::timestamptz and status in ('active', 'awaiting_handover'))::int as still_active
    from relations
    where corp_id = ${corpId} and state = any(${textArray(states)}) and ${scope.employee(sql.raw('user_id'))}
    group by state`));
  for (const r of rows) {
    out.set(String(r.state), {
      adds: Number(r.adds), active: Number(r.active), removedByCustomer: Number(r.removed_by_customer), removedByRep: Number(r.removed_by_rep),
      removedOther: Number(r.removed_other), transferred: Number(r.transferred), awaitingHandover: Number(r.awaiting_handover),
      addedBeforeWindow: Number(r.added_before), stillActiveAfterWindow: Number(r.still_active),
    });
  }
  return out;
}

export interface RepCount {
  userId: string;
  count: number;
}

export interface RelationStats {
  /** Every relation status, zero when none. */
  byStatus: Record<RelationStatus, number>;
  /** Removals recorded in relation_history since `since`. */
  removed: { byRep: number; byCustomer: number };
  /** Reps who removed the most customers since `since` (top 10). */
  topDeletingReps: RepCount[];
  /** Reps whom the most customers removed since `since` (top 10). */
  customersLostByRep: RepCount[];
}

export const TOP_REPS = 10;

/** Relation counts inside the scope: the relations and removals of the scope's employees. */
export async function relationStats(ex: Executor, scope: Scope, since: Date): Promise<RelationStats> {
  const corpId = scope.corpId;
  const ofRep = scope.employee(sql`${relationHistory.userId}`);
  const topBy = (change: string) =>
    ex
      .select({ userId: relationHistory.userId, count: count().as('n') })
      .from(relationHistory)
      .where(and(eq(relationHistory.corpId, corpId), eq(relationHistory.change, change), gte(relationHistory.at, since), ofRep))
      .groupBy(relationHistory.userId)
      .orderBy(desc(sql`n`), asc(relationHistory.userId))
      .limit(TOP_REPS);
  const [statusRows, removedRows, topDeletingReps, customersLostByRep] = await Promise.all([
    ex
      .select({ status: relations.status, n: count() })
      .from(relations)
      .where(and(eq(relations.corpId, corpId), scope.employee(sql`${relations.userId}`)))
      .groupBy(relations.status),
    ex
      .select({ change: relationHistory.change, n: count() })
      .from(relationHistory)
      .where(and(
        eq(relationHistory.corpId, corpId),
        inArray(relationHistory.change, ['removed_by_rep', 'removed_by_customer']),
        gte(relationHistory.at, since),
        ofRep,
      ))
      .groupBy(relationHistory.change),
    topBy('removed_by_rep'),
    topBy('removed_by_customer'),
  ]);
  const byStatus = Object.fromEntries(RELATION_STATUSES.map((s) => [s, 0])) as Record<RelationStatus, number>;
  for (const r of statusRows) byStatus[r.status] = r.n;
  const removed = (change: string) => removedRows.find((r) => r.change === change)?.n ?? 0;
  return {
    byStatus,
    removed: { byRep: removed('removed_by_rep'), byCustomer: removed('removed_by_customer') },
    topDeletingReps,
    customersLostByRep,
  };
}
