import { and, eq, sql } from 'drizzle-orm';
import { rowsOf, type Db, type Executor } from '../db/connection';
import type { Scope } from '../db/scope';
import { markAwaitingHandover } from '../ledger';
import type { WeComClient } from '../wecom/client';
import { handoverAudit, unassignedCustomers } from './schema';

/**
 * Reads get_unassigned_list whole and replaces our copy; each pair is also
 * recorded in the ledger as awaiting handover (a rep who left before our
 * first sync is known only from here).
 */
export async function syncUnassigned(db: Db, client: WeComClient, corpId: string, now: Date): Promise<number> {
  const rows: Array<{ handover_userid: string; external_userid: string; dimission_time: number }> = [];
  for await (const page of client.transfers.iterateUnassigned()) rows.push(...page.items);
  await db.transaction(async (tx) => {
    await tx.delete(unassignedCustomers).where(eq(unassignedCustomers.corpId, corpId));
    for (let i = 0; i < rows.length; i += 1000) {
      await tx.insert(unassignedCustomers).values(rows.slice(i, i + 1000).map((r) => ({
        corpId, handoverUserId: r.handover_userid, externalUserId: r.external_userid,
        dimissionAt: r.dimission_time ? new Date(r.dimission_time * 1000) : null,
      }))).onConflictDoNothing();
    }
    for (const r of rows) await markAwaitingHandover(tx, corpId, r.handover_userid, r.external_userid, now);
    await tx.insert(handoverAudit).values({ corpId, actor: 'system', action: 'unassigned_synced', detail: { customers: rows.length } });
  });
  return rows.length;
}

export interface UnassignedRep {
  userId: string;
  customers: number;
  /** Of those, already in an open handover. */
  inOpenHandover: number;
  dimissionAt: string | null;
}

/** The pool by departed rep: only reps in the scope (their customers are the scope's: the rep had the relation). */
export async function listUnassigned(ex: Executor, scope: Scope): Promise<UnassignedRep[]> {
  const corpId = scope.corpId;
  return rowsOf<{ user_id: string; customers: number; in_open: number; dimission_at: string | null }>(await ex.execute(sql`
    select u.handover_user_id as user_id, count(*)::int as customers, min(u.dimission_at) as dimission_at,
           count(*) filter (where exists (select 1 from handover_items i where i.corp_id = u.corp_id and i.type = 'customer'
             and i.target_id = u.external_user_id and i.from_user_id = u.handover_user_id and i.status in ('planned', 'pending', 'waiting')))::int as in_open
    from unassigned_customers u where u.corp_id = ${corpId} and ${scope.employee(sql.raw('u.handover_user_id'))}
    group by u.handover_user_id order by u.handover_user_id`)).map((r) => ({
    userId: r.user_id, customers: r.customers, inOpenHandover: r.in_open, dimissionAt: r.dimission_at ? new Date(r.dimission_at).toISOString() : null,
  }));
}

export async function unassignedOf(ex: Executor, scope: Scope, userId: string): Promise<string[]> {
  const rows = await ex.select({ id: unassignedCustomers.externalUserId }).from(unassignedCustomers)
    .where(and(eq(unassignedCustomers.corpId, scope.corpId), eq(unassignedCustomers.handoverUserId, userId), scope.employee(sql`${unassignedCustomers.handoverUserId}`)));
  return rows.map((r) => r.id);
}
