import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Executor } from '../db/connection';

/** What followed a touch (orders, replies) and the last interaction per rep, as SQL or counts: campaigns never read archive tables themselves. */

/** The last interaction of a customer with one rep, as a scalar subquery (null when none): for "most recent interaction" owner picks. */
export function lastInteractionSql(corpId: string, r: { userId: SQL; externalUserId: SQL }): SQL {
  return sql`(select max(i.at) from interactions i where i.corp_id = ${corpId} and i.external_user_id = ${r.externalUserId} and i.user_id = ${r.userId})`;
}

export interface TouchEffect {
  /** Customers touched (each counted once, from their first touch). */
  touched: number;
  /** …who placed a paid order within the window, how many orders, and their sum. */
  ordered: number;
  orders: number;
  revenue: string;
  /** …who sent a message (a reply) within the window. */
  replied: number;
  /** …with any interaction other than leaving. */
  interacted: number;
  /** …who removed the rep or were removed within the window (the cost of a push). */
  removed: number;
}

/**
 * Orders and interactions within `days` after each customer's first touch.
 * `touches` is a select of (external_user_id, at).
 */
export async function responsesAfter(ex: Executor, corpId: string, touches: SQL, days: number): Promise<TouchEffect> {
  const res = await ex.execute(sql`
    with t as (${touches}),
    per as (select external_user_id, min(at) as at from t group by external_user_id)
    select count(*)::int as touched,
      count(*) filter (where o.n > 0)::int as ordered,
      coalesce(sum(o.n), 0)::int as orders,
      coalesce(sum(o.amount), 0)::text as revenue,
      count(*) filter (where i.replied)::int as replied,
      count(*) filter (where i.interacted)::int as interacted,
      count(*) filter (where i.removed)::int as removed
    from per
    left join lateral (
      select count(*) as n, sum(o.amount) as amount from orders o
      where o.corp_id = ${corpId} and o.external_user_id = per.external_user_id and o.status = 'paid'
        and o.ordered_at >= per.at and o.ordered_at < per.at + make_interval(days => ${days}::int)) o on true
    left join lateral (
      select bool_or(i.kind = 'message') as replied, bool_or(i.kind <> 'relation_removed') as interacted, bool_or(i.kind = 'relation_removed') as removed
      from interactions i
      where i.corp_id = ${corpId} and i.external_user_id = per.external_user_id
        and i.at >= per.at and i.at < per.at + make_interval(days => ${days}::int)) i on true`);
  const r = rowsOf<Record<keyof TouchEffect, number | string>>(res)[0]!;
  return {
    touched: Number(r.touched), ordered: Number(r.ordered), orders: Number(r.orders), revenue: String(r.revenue),
    replied: Number(r.replied), interacted: Number(r.interacted), removed: Number(r.removed),
  };
}
