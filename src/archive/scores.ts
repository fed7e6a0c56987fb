import { and, eq, sql } from 'drizzle-orm';
import { rowsOf, type Executor } from '../db/connection';
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
 * functions over the paying customers, upserted into customer_scores.
 * Returns the number of customers scored and how many of them pay.
 */
export async function recomputeScores(ex: Executor, corpId: string, now: Date): Promise<{ customers: number; paying: number }> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const res = await ex.execute(sql`
    with agg as (
      select o.external_user_id,
             count(*)::int as frequency,
             sum(o.amount) as monetary,
             greatest(0, floor(extract(epoch from (${at} - max(o.ordered_at))) / 86400))::int as recency_days
      from orders o
      join external_contacts c on c.corp_id = o.corp_id and c.external_user_id = o.external_user_id
      where o.corp_id = ${corpId} and o.status = 'paid' and o.ordered_at <= ${at}
      group by o.external_user_id),
    scored as (
      select external_user_id, frequency, monetary, recency_days,
             ${quintile(sql`recency_days desc`)} as r,
             ${quintile(sql`frequency`)} as f,
             ${quintile(sql`monetary`)} as m,
             rank() over (order by monetary desc) <= (count(*) over () + 4) / 5 as is_key
      from agg),
    upserted as (
      insert into customer_scores as cs (corp_id, external_user_id, recency_days, frequency, monetary, r, f, m, tier, computed_at)
      select c.corp_id, c.external_user_id, s.recency_days, coalesce(s.frequency, 0), coalesce(s.monetary, 0), s.r, s.f, s.m,
             case when s.external_user_id is null then 'none'
                  when s.is_key then 'key'
                  when s.r + s.f >= ${GROWTH_MIN_RF} then 'growth'
                  when s.r + s.f >= ${REGULAR_MIN_RF} then 'regular'
                  else 'low' end,
             ${at}
      from external_contacts c
      left join scored s on s.external_user_id = c.external_user_id
      where c.corp_id = ${corpId}
      on conflict (corp_id, external_user_id) do update set
        recency_days = excluded.recency_days, frequency = excluded.frequency, monetary = excluded.monetary,
        r = excluded.r, f = excluded.f, m = excluded.m, tier = excluded.tier, computed_at = excluded.computed_at
      returning (r is not null) as paying)
    select count(*)::int as customers, count(*) filter (where paying)::int as paying from upserted`);
  const row = rowsOf<{ customers: number; paying: number }>(res)[0]!;
  return { customers: Number(row.customers), paying: Number(row.paying) };
}

export async function getScore(ex: Executor, corpId: string, externalUserId: string): Promise<ScoreRow | undefined> {
  const [row] = await ex
    .select()
    .from(customerScores)
    .where(and(eq(customerScores.corpId, corpId), eq(customerScores.externalUserId, externalUserId)));
  return row;
}
