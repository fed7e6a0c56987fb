import { and, eq, sql } from 'drizzle-orm';
import { rowsOf, type Executor } from '../db/connection';
import type { Scope } from '../db/scope';
import { ledgerSql } from '../ledger';
import { customerScores } from './schema';

export type ScoreRow = typeof customerScores.$inferSelect;
export type Tier = ScoreRow['tier'];

/**
 * The quintile score of one value among the n paying customers, as SQL:
 * `1 + floor(5·(rank − 1) / n)` where rank = 1 + the number of paying
 * customers with a strictly worse value.
 *
 * Why not ntile(5): ntile splits equal values across buckets by row order, so
 * two customers with the same spend could get different scores depending on
 * the plan. With rank(), equal values always share the score of the lowest
 * position among them (ties round down); with n distinct values and n a
 * multiple of 5 the result is exactly ntile's (10 customers → 1,1,2,2,…,5,5).
 */
const quintile = (orderBy: ReturnType<typeof sql>) => sql`(1 + (5 * (rank() over (order by ${orderBy}) - 1)) / count(*) over ())::smallint`;

/**
 * Tiers (documented contract of `customer_scores.tier`):
 * - key: top 20% of paying customers by monetary — rank by spend (desc) ≤ ceil(n/5),
 *   so every customer tied at the boundary is included;
 * - growth: not key, recent and repeat buyers (R + F ≥ 8);
 * - regular: not key, R + F ≥ 5;
 * - low: the remaining paying customers;
 * - none: no paid order (scores null).
 */
export const GROWTH_MIN_RF = 8;
export const REGULAR_MIN_RF = 5;

/**
 * Recomputes RFM scores and tiers for every customer the ledger knows, in one
 * set-based statement: paid orders aggregated per customer, scored by window
 * functions over the paying customers, compared with the stored rows by a hash
 * join, and only the customers whose scores moved are written (a nightly rerun
 * with few new orders writes little). The key-account test shares the monetary
 * window (cume_dist) instead of sorting a fourth time.
 * Returns the number of customers scored, how many of them pay, and how many rows changed.
 */
export async function recomputeScores(ex: Executor, corpId: string, now: Date): Promise<{ customers: number; paying: number; changed: number }> {
  return ex.transaction(async (tx) => {
    // Three window sorts over every paying customer: with the default 4 MB each one spills to disk.
    await tx.execute(sql`set local work_mem = '${sql.raw(SCORES_WORK_MEM)}'`);
    return scoreAll(tx, corpId, now);
  });
}

/** Sort memory for the recompute's own transaction (about 60 bytes per paying customer per sort). */
export const SCORES_WORK_MEM = '64MB';

async function scoreAll(ex: Executor, corpId: string, now: Date): Promise<{ customers: number; paying: number; changed: number }> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const res = await ex.execute(sql`
    with agg as (
      select o.external_user_id,
             count(*)::int as frequency,
             sum(o.amount) as monetary,
             max(o.ordered_at) as last_order_at,
             greatest(0, floor(extract(epoch from (${at} - max(o.ordered_at))) / 86400))::int as recency_days
      from orders o
      join ${ledgerSql.contacts(corpId)} c on c.corp_id = o.corp_id and c.external_user_id = o.external_user_id
      where o.corp_id = ${corpId} and o.status = 'paid' and o.ordered_at <= ${at}
      group by o.external_user_id),
    scored as (
      select external_user_id, frequency, monetary, last_order_at,
             ${quintile(sql`recency_days desc`)} as r,
             ${quintile(sql`frequency`)} as f,
             (1 + (5 * (rank() over by_monetary - 1)) / count(*) over ())::smallint as m,
             -- customers spending strictly more = n − (customers spending ≤ this one)
             count(*) over () - round(cume_dist() over by_monetary * count(*) over ()) < (count(*) over () + 4) / 5 as is_key
      from agg
      window by_monetary as (order by monetary)),
    target as (
      select c.external_user_id, s.last_order_at, coalesce(s.frequency, 0) as frequency, coalesce(s.monetary, 0) as monetary, s.r, s.f, s.m,
             case when s.external_user_id is null then 'none'
                  when s.is_key then 'key'
                  when s.r + s.f >= ${GROWTH_MIN_RF} then 'growth'
                  when s.r + s.f >= ${REGULAR_MIN_RF} then 'regular'
                  else 'low' end as tier
      from ${ledgerSql.contacts(corpId)} c
      left join scored s on s.external_user_id = c.external_user_id),
    moved as (
      select t.* from target t
      left join customer_scores cs on cs.corp_id = ${corpId} and cs.external_user_id = t.external_user_id
      where cs.external_user_id is null
         or (cs.last_order_at, cs.frequency, cs.monetary, cs.r, cs.f, cs.m, cs.tier)
            is distinct from (t.last_order_at, t.frequency, t.monetary, t.r, t.f, t.m, t.tier)),
    written as (
      insert into customer_scores as cs (corp_id, external_user_id, last_order_at, frequency, monetary, r, f, m, tier, changed_at)
      select ${corpId}, external_user_id, last_order_at, frequency, monetary, r, f, m, tier, ${at} from moved
      on conflict (corp_id, external_user_id) do update set
        last_order_at = excluded.last_order_at, frequency = excluded.frequency, monetary = excluded.monetary,
        r = excluded.r, f = excluded.f, m = excluded.m, tier = excluded.tier, changed_at = excluded.changed_at
      returning 1)
    select count(*)::int as changed from written`);
  const changed = Number(rowsOf<{ changed: number }>(res)[0]!.changed);
  const [totals] = rowsOf<{ customers: number; paying: number }>(await ex.execute(sql`
    select count(*)::int as customers, count(r)::int as paying from customer_scores where corp_id = ${corpId}`));
  return { customers: Number(totals!.customers), paying: Number(totals!.paying), changed };
}

/** Whole days since the customer's last paid order, as of `now` (null without one). */
export function recencyDays(score: Pick<ScoreRow, 'lastOrderAt'>, now: Date): number | null {
  return score.lastOrderAt ? Math.max(0, Math.floor((now.getTime() - score.lastOrderAt.getTime()) / 86_400_000)) : null;
}

/** A customer's scores, when the customer is in scope (undefined otherwise). */
export async function getScore(ex: Executor, scope: Scope, externalUserId: string): Promise<ScoreRow | undefined> {
  const [row] = await ex
    .select()
    .from(customerScores)
    .where(and(
      eq(customerScores.corpId, scope.corpId), eq(customerScores.externalUserId, externalUserId),
      ledgerSql.contactInScope(scope, sql`${customerScores.externalUserId}`),
    ));
  return row;
}
