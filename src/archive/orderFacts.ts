import { sql } from 'drizzle-orm';
import { textArray } from '../db/bulk';
import type { Executor } from '../db/connection';
import { ledgerSql } from '../ledger';

/**
 * Brings the order facts in customer_scores (last paid order, paid orders,
 * paid spend) up to date for these customers, right after their orders
 * changed — so segments filter on live facts with one hash-joinable row per
 * customer instead of aggregating orders per candidate. Scores and tier stay
 * as the last recompute left them; a customer scored for the first time gets
 * tier `none` (not scored yet) until the next recompute. Only customers the
 * ledger knows are kept, as in recomputeScores.
 */
export async function refreshOrderFacts(ex: Executor, corpId: string, externalUserIds: readonly string[]): Promise<void> {
  if (externalUserIds.length === 0) return;
  await ex.execute(sql`
    with facts as (
      select c.external_user_id,
             max(o.ordered_at) as last_order_at, count(o.id)::int as frequency, coalesce(sum(o.amount), 0) as monetary
      from ${ledgerSql.contacts(corpId)} c
      left join orders o on o.corp_id = c.corp_id and o.external_user_id = c.external_user_id and o.status = 'paid'
      where c.external_user_id = any(${textArray([...new Set(externalUserIds)])})
      group by c.external_user_id)
    insert into customer_scores as cs (corp_id, external_user_id, last_order_at, frequency, monetary, tier, changed_at)
    select ${corpId}, f.external_user_id, f.last_order_at, f.frequency, f.monetary, 'none', now()
    from facts f
    where f.frequency > 0 or exists (select 1 from customer_scores s where s.corp_id = ${corpId} and s.external_user_id = f.external_user_id)
    on conflict (corp_id, external_user_id) do update set
      last_order_at = excluded.last_order_at, frequency = excluded.frequency, monetary = excluded.monetary, changed_at = excluded.changed_at
    where (cs.last_order_at, cs.frequency, cs.monetary) is distinct from (excluded.last_order_at, excluded.frequency, excluded.monetary)`);
}
