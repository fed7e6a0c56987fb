import { and, eq, sql } from 'drizzle-orm';
import { jsonRows } from '../db/bulk';
import { retryingTransaction, rowsOf, type Db } from '../db/connection';
import { recordCustomerTransfers, recordGroupTransfer, type CustomerTransfer } from '../ledger';
import { readOrNothing } from '../ledger';
import type { Clock } from '../lib/clock';
import type { Locale } from '../notify';
import type { WeComClient } from '../wecom/client';
import { finishIfDone, transferStatuses } from './sendHandover';
import { handoverAudit, handoverItems, type ItemStatus } from './schema';

/** Past this without any answer from WeCom, a waiting item is given up on as expired. */
const EXPIRE_AFTER_MS = 72 * 3600_000;

/** transfer_result status → item outcome (§4.7): 1 done, 2 waiting, 3 refused, 4 cap, 5 no record. */
function resultOutcome(status: number): { status: ItemStatus; reason: string | null } {
  switch (status) {
    case 1: return { status: 'succeeded', reason: null };
    case 3: return { status: 'refused', reason: 'the customer refused the transfer' };
    case 4: return { status: 'takeover_limit', reason: "the takeover reached WeCom's customer cap" };
    case 5: return { status: 'expired', reason: 'WeCom has no record of this transfer' };
    default: return { status: 'waiting', reason: null };
  }
}

/**
 * Polls WeCom's result APIs for every waiting item and settles what is final.
 * The results are the only reliable source (a refused on-job transfer sends no
 * callback at all); callbacks are evidence applied on the side. The ledger
 * changes owner only on success. Idempotent: only `waiting` items move.
 * First, a confirmed plan left with nothing open is completed.
 */
export async function pollHandoverResults(db: Db, client: WeComClient, corpId: string, clock: Clock, locale: Locale): Promise<number> {
  const now = () => clock.now();
  await finishStuckPlans(db, corpId, now(), locale);
  let settled = 0;
  const pairs = rowsOf<{ kind: 'onjob' | 'resigned'; from_user_id: string; to_user_id: string }>(await db.execute(sql`
    select distinct p.kind, i.from_user_id, i.to_user_id from handover_items i join handover_plans p on p.id = i.plan_id
    where i.corp_id = ${corpId} and i.status = 'waiting' and i.type = 'customer'`));
  for (const pair of pairs) {
    const statuses = new Map<string, { status: number; takeover_time: number }>();
    for await (const s of transferStatuses(client, pair.kind, pair.from_user_id, pair.to_user_id)) statuses.set(s.external_userid, s);
    settled += await retryingTransaction(db, async (tx) => {
      let n = 0;
      const waiting = await tx
        .select()
        .from(handoverItems)
        .where(and(eq(handoverItems.corpId, corpId), eq(handoverItems.status, 'waiting'), eq(handoverItems.type, 'customer'),
          eq(handoverItems.fromUserId, pair.from_user_id), eq(handoverItems.toUserId, pair.to_user_id)))
        // One order for the ledger rows we lock, whoever else writes them.
        .orderBy(handoverItems.targetId)
        .for('update', { skipLocked: true });
      const plans = new Set<number>();
      const moved: CustomerTransfer[] = [];
      const updates: Array<{ id: number; status: ItemStatus; reason: string | null; errcode: number | null; final: boolean; takeover_at: string | null }> = [];
      for (const item of waiting) {
        const s = statuses.get(item.targetId);
        let out = s ? resultOutcome(s.status) : { status: 'waiting' as ItemStatus, reason: null };
        if (out.status === 'waiting' && !s && item.sentAt && now().getTime() - item.sentAt.getTime() > EXPIRE_AFTER_MS) {
          out = { status: 'expired', reason: 'WeCom never reported a result' };
        }
        const takeoverAt = s?.takeover_time ? new Date(s.takeover_time * 1000).toISOString() : null;
        if (out.status === 'waiting') {
          if (takeoverAt) updates.push({ id: item.id, status: 'waiting', reason: null, errcode: null, final: false, takeover_at: takeoverAt });
          continue;
        }
        if (out.status === 'succeeded') {
          moved.push({ fromUserId: item.fromUserId, toUserId: item.toUserId, externalUserId: item.targetId, kind: pair.kind, planId: item.planId });
        }
        updates.push({ id: item.id, status: out.status, reason: out.reason, errcode: s?.status ?? null, final: true, takeover_at: takeoverAt });
        plans.add(item.planId);
        n++;
      }
      if (updates.length) {
        await tx.execute(sql`
          update handover_items i set status = x.status,
            reason = case when x.final then x.reason else i.reason end, errcode = case when x.final then x.errcode else i.errcode end,
            takeover_at = x.takeover_at, final_at = case when x.final then ${now().toISOString()}::timestamptz else i.final_at end
          from jsonb_to_recordset(${jsonRows(updates)}) as x(id bigint, status text, reason text, errcode int, final boolean, takeover_at timestamptz)
          where i.id = any(${sql.param(updates.map((u) => u.id))}::bigint[]) and i.id = x.id and i.corp_id = ${corpId}`);
      }
      await recordCustomerTransfers(tx, corpId, moved, now());
      if (plans.size) await tx.insert(handoverAudit).values({ corpId, actor: 'system', action: 'result', detail: { from: pair.from_user_id, to: pair.to_user_id, settled: waiting.length } });
      for (const planId of plans) await finishIfDone(tx, corpId, planId, now(), locale);
      return n;
    });
  }

  // Groups: being listed under the takeover's owner filter is the answer —
  // one groupchat/list per takeover (1000 a page), not a groupchat/get per group.
  const groups = await db
    .select()
    .from(handoverItems)
    .where(and(eq(handoverItems.corpId, corpId), eq(handoverItems.status, 'waiting'), eq(handoverItems.type, 'group')));
  const ownedBy = new Map<string, Set<string> | undefined>();
  for (const to of new Set(groups.map((g) => g.toUserId))) ownedBy.set(to, await readOrNothing(() => chatsListedUnder(client, to)));
  for (const item of groups) {
    const owned = ownedBy.get(item.toUserId);
    if (!owned) continue; // WeCom did not answer for this takeover: next round
    const done = owned.has(item.targetId);
    const expired = !done && item.sentAt && now().getTime() - item.sentAt.getTime() > EXPIRE_AFTER_MS;
    if (!done && !expired) continue;
    await retryingTransaction(db, async (tx) => {
      const [still] = await tx.select({ id: handoverItems.id }).from(handoverItems).where(and(eq(handoverItems.corpId, corpId), eq(handoverItems.id, item.id), eq(handoverItems.status, 'waiting'))).for('update');
      if (!still) return;
      const [plan] = rowsOf<{ kind: 'onjob' | 'resigned' }>(await tx.execute(sql`select kind from handover_plans where corp_id = ${corpId} and id = ${item.planId}`));
      if (done) await recordGroupTransfer(tx, corpId, { chatId: item.targetId, fromUserId: item.fromUserId, toUserId: item.toUserId, kind: plan!.kind, planId: item.planId });
      await tx.update(handoverItems)
        .set(done ? { status: 'succeeded', finalAt: now() } : { status: 'expired', reason: 'the group never changed owner', finalAt: now() })
        .where(and(eq(handoverItems.corpId, corpId), eq(handoverItems.id, item.id)));
      await finishIfDone(tx, corpId, item.planId, now(), locale);
    });
    settled++;
  }
  return settled;
}

/**
 * Confirmed plans with no open item that never completed (confirmed with
 * every item skipped, before confirm refused that): they end here, with
 * their counts and notices, like any other plan.
 */
async function finishStuckPlans(db: Db, corpId: string, now: Date, locale: Locale): Promise<void> {
  const stuck = rowsOf<{ id: string }>(await db.execute(sql`
    select p.id from handover_plans p where p.corp_id = ${corpId} and p.status = 'confirmed'
      and not exists (select 1 from handover_items i where i.corp_id = p.corp_id and i.plan_id = p.id and i.status in ('planned', 'pending', 'waiting'))
    order by p.id`));
  for (const { id } of stuck) await retryingTransaction(db, (tx) => finishIfDone(tx, corpId, Number(id), now, locale));
}

/** Chat ids WeCom lists with `owner` as their owner (a resigned transfer counts once status 3 has it moved). */
async function chatsListedUnder(client: WeComClient, owner: string): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const page of client.groupChats.iterate({ owner_filter: { userid_list: [owner] } })) for (const g of page.items) out.add(g.chat_id);
  return out;
}
