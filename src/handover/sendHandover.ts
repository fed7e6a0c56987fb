import { and, eq, inArray, sql } from 'drizzle-orm';
import { jsonRows, textArray } from '../db/bulk';
import { retryingTransaction, rowsOf, type Db, type Executor } from '../db/connection';
import { sqlTime } from '../db/time';
import { corpScope } from '../db/scope';
import { workQueue } from '../db/workRow';
import type { Clock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import type { Locale } from '../notify';
import { errcodeOf, isTransient, isWeComError, type WeComClient } from '../wecom/client';
import { notifyCompletion } from './notifyCompletion';
import { handoverAudit, handoverItems, handoverPlans, type ItemStatus } from './schema';

type HandoverItem = typeof handoverItems.$inferSelect;

/** WeCom's maximum per call: 100 customers (transfer_customer) or 100 chats (groupchat/transfer). */
export const BATCH_SIZE = 100;
/** Confirmed items waiting for their WeCom call. */
export const handoverQueue = workQueue({ name: 'handover', table: 'handover_items' });

interface Outcome {
  id: number;
  status: ItemStatus;
  reason: string | null;
  errcode: number | null;
  /** For pending: when to try again. */
  retryAt?: Date;
  takeoverAt?: Date | null;
}

/** WeCom settles a transfer 24 h after the call; a little after that the customer is free again. */
const PENDING_TRANSFER_RETRY_MS = 24 * 3600_000 + 10 * 60_000;

/** Per-customer errcodes of transfer_customer (§4.7, §5.1, §6.2) → item outcome. */
function customerOutcome(errcode: number, now: Date): Pick<Outcome, 'status' | 'reason' | 'retryAt'> {
  switch (errcode) {
    case 0:
      return { status: 'waiting', reason: null };
    case 40129:
      // Our own earlier attempt was looked up before this call, so it is another transfer —
      // typically the same customer of a second departed rep. Try again once that one has ended.
      return { status: 'pending', reason: 'the customer is already in another transfer: tried again once it has ended', retryAt: new Date(now.getTime() + PENDING_TRANSFER_RETRY_MS) };
    case 40099:
      return { status: 'takeover_limit', reason: "the takeover is at WeCom's customer cap" };
    case 40128:
      return { status: 'too_frequent', reason: 'WeCom refused: transferred too often (one per 90 days, two in all)' };
    case 40096:
    case 40131:
    case 84061:
      return { status: 'no_relation', reason: 'WeCom says the customer is not (any more) the source rep\'s customer' };
    case 40097:
      return { status: 'failed', reason: 'WeCom says the source rep has not left: use an on-job handover' };
    default:
      return { status: 'failed', reason: `WeCom refused the transfer (errcode ${errcode})` };
  }
}

/** Per-chat errcodes of groupchat/transfer (§4.9). */
function groupOutcome(errcode: number, now: Date): Pick<Outcome, 'status' | 'reason' | 'retryAt'> {
  switch (errcode) {
    case 90504:
    case 90508:
      return { status: 'waiting', reason: null }; // owner already changed or inherited: the poller confirms it
    case 90507:
      return { status: 'waiting', reason: null };
    case 90506:
      return { status: 'pending', reason: "WeCom's daily cap on one owner's group transfers: tried again tomorrow", retryAt: new Date(now.getTime() + 86_400_000) };
    case 90500:
      return { status: 'failed', reason: 'WeCom says the group owner has not left: use an on-job handover' };
    case 90502:
      return { status: 'failed', reason: 'WeCom says the group owner has left: use a resigned handover' };
    case 90503:
      return { status: 'failed', reason: 'the group is full (99 WeChat members): the new owner must confirm in the client' };
    case 90501:
      return { status: 'no_relation', reason: 'not a customer group' };
    default:
      return { status: 'failed', reason: `WeCom refused the group transfer (errcode ${errcode})` };
  }
}

/**
 * Claims one batch (same plan, type and takeover; ≤100) and hands it to WeCom.
 * The claim (attempt + lease) and an audit row are committed before the call;
 * outcomes are recorded after it, under the lease. An item whose earlier
 * attempt never recorded an outcome (a crash mid-call) is first looked up in
 * WeCom's results, so it is never sent twice. Returns items handled.
 * `locale`: the language of the notices sent when the plan completes.
 */
export async function sendHandoverBatch(db: Db, client: WeComClient, corpId: string, owner: string, clock: Clock, locale: Locale): Promise<number> {
  const now = () => clock.now();
  const scope = corpScope(corpId);
  // The oldest ready item picks the batch: items of its plan, type and takeover are claimed together.
  const [key] = rowsOf<{ plan_id: string; type: 'customer' | 'group'; to_user_id: string }>(await db.execute(sql`
    select plan_id, type, to_user_id from handover_items
    where ${handoverQueue.ready(scope, now())}
    order by available_at, id limit 1`));
  if (!key) return 0;
  const planId = Number(key.plan_id);
  const ids = (await handoverQueue.claim(db, scope, {
    owner, limit: BATCH_SIZE, leaseSeconds: 120,
    where: sql`plan_id = ${planId} and type = ${key.type} and to_user_id = ${key.to_user_id}`,
    orderBy: sql`id`,
    now: now(),
  })).map((r) => r.id);
  if (ids.length === 0) return 0;
  const claimed = await db.select().from(handoverItems).where(and(eq(handoverItems.corpId, corpId), inArray(handoverItems.id, ids)));
  const items = await holdBackCustomersInTransfer(db, corpId, owner, claimed, now());
  const [plan] = await db.select().from(handoverPlans).where(and(eq(handoverPlans.corpId, corpId), eq(handoverPlans.id, planId)));
  if (!plan) return 0;
  const from = plan.fromUserId;
  const to = key.to_user_id;
  const outcomes: Outcome[] = [];

  // Items claimed before without a recorded outcome: did WeCom get them?
  const unsure = items.filter((i) => i.attempts > 1);
  const known = await alreadyStarted(client, plan.kind, key.type, from, to, unsure.map((i) => i.targetId));
  for (const i of unsure) {
    const status = known.get(i.targetId);
    if (status) outcomes.push({ id: i.id, status, reason: null, errcode: null });
  }
  const toSend = items.filter((i) => !outcomes.some((o) => o.id === i.id));

  if (toSend.length) {
    const api = key.type === 'customer'
      ? plan.kind === 'onjob' ? 'externalcontact/transfer_customer' : 'externalcontact/resigned/transfer_customer'
      : plan.kind === 'onjob' ? 'externalcontact/groupchat/onjob_transfer' : 'externalcontact/groupchat/transfer';
    await db.insert(handoverAudit).values({ corpId, planId, actor: 'system', action: 'call', detail: { api, phase: 'sending', to, items: toSend.length, itemIds: toSend.map((i) => i.id) } });
    try {
      if (key.type === 'customer') {
        const targets = toSend.map((i) => i.targetId);
        const res = plan.kind === 'onjob'
          ? await client.transfers.transferCustomer({ handover_userid: from, takeover_userid: to, external_userid: targets, ...(plan.transferMessage ? { transfer_success_msg: plan.transferMessage } : {}) })
          : await client.transfers.transferResignedCustomer({ handover_userid: from, takeover_userid: to, external_userid: targets });
        const byId = new Map(res.customer.map((c) => [c.external_userid, c.errcode]));
        for (const i of toSend) {
          const errcode = byId.get(i.targetId);
          // A customer WeCom did not mention was not started: say so rather than guess.
          outcomes.push(errcode === undefined
            ? { id: i.id, status: 'failed', reason: 'WeCom did not report on this customer', errcode: null }
            : { id: i.id, ...customerOutcome(errcode, now()), errcode: errcode || null });
        }
      } else {
        const chatIds = toSend.map((i) => i.targetId);
        const res = plan.kind === 'onjob' ? await client.groupChats.transferOnJob(chatIds, to) : await client.groupChats.transferResigned(chatIds, to);
        const failed = new Map(res.failed_chat_list.map((f) => [f.chat_id, f.errcode]));
        for (const i of toSend) {
          const errcode = failed.get(i.targetId);
          outcomes.push(errcode === undefined ? { id: i.id, status: 'waiting', reason: null, errcode: null } : { id: i.id, ...groupOutcome(errcode, now()), errcode });
        }
      }
    } catch (err) {
      const retryable = !isWeComError(err) || isTransient(err) || err.kind === 'rate_limited';
      if (retryable) {
        // The call may or may not have reached WeCom: the items stay claimed-once and are looked up before any resend.
        await handoverQueue.retry(db, scope, toSend.map((i) => i.id), owner, {
          availableAt: sql`${sqlTime(now())} + interval '5 seconds'`, error: errorMessage(err).slice(0, 500),
        });
        await db.insert(handoverAudit).values({ corpId, planId, actor: 'system', action: 'call', detail: { api, phase: 'failed', retry: true, errcode: errcodeOf(err) ?? null, error: errorMessage(err).slice(0, 300) } });
        await recordOutcomes(db, corpId, planId, owner, outcomes, now(), locale);
        return ids.length;
      }
      const errcode = errcodeOf(err) ?? null;
      for (const i of toSend) outcomes.push({ id: i.id, status: 'failed', reason: `WeCom refused the call: ${errorMessage(err).slice(0, 200)}`, errcode });
    }
    const tally: Record<string, number> = {};
    for (const o of outcomes) tally[o.status] = (tally[o.status] ?? 0) + 1;
    await db.insert(handoverAudit).values({ corpId, planId, actor: 'system', action: 'call', detail: { api, phase: 'answered', to, outcomes: tally } });
  }
  await recordOutcomes(db, corpId, planId, owner, outcomes, now(), locale);
  return ids.length;
}

/** How often a held-back item looks again whether the customer's other transfer has ended (no WeCom call). */
const HOLD_BACK_MS = 3600_000;

/**
 * WeCom lets a customer be in one transfer at a time (40129): the same
 * customer of two departed reps waits, unsent, until the first transfer has
 * ended. Held-back items are released (their claim undone) for a later look.
 */
async function holdBackCustomersInTransfer(db: Db, corpId: string, owner: string, items: HandoverItem[], now: Date): Promise<HandoverItem[]> {
  const customers = items.filter((i) => i.type === 'customer');
  if (customers.length === 0) return items;
  const busy = new Set(rowsOf<{ target_id: string }>(await db.execute(sql`
    select target_id from handover_items where corp_id = ${corpId} and type = 'customer' and status = 'waiting'
      and target_id = any(${textArray(customers.map((i) => i.targetId))})`)).map((r) => r.target_id));
  const held = customers.filter((i) => busy.has(i.targetId)).map((i) => i.id);
  if (held.length === 0) return items;
  await handoverQueue.release(db, corpScope(corpId), held, owner, {
    availableAt: sql`${sqlTime(now)} + make_interval(secs => ${HOLD_BACK_MS / 1000})`,
    set: sql`reason = 'the customer is in another transfer: sent once it has ended'`,
  });
  return items.filter((i) => !held.includes(i.id));
}

/** Records outcomes only for items whose lease is still ours. */
async function recordOutcomes(db: Db, corpId: string, planId: number, owner: string, outcomes: Outcome[], now: Date, locale: Locale): Promise<void> {
  if (outcomes.length === 0) return;
  const rows = outcomes.map((o) => ({
    id: o.id, status: o.status, reason: o.reason, errcode: o.errcode,
    available_at: o.retryAt?.toISOString() ?? null, final: !['pending', 'waiting'].includes(o.status),
  }));
  await retryingTransaction(db, async (tx) => {
    await tx.execute(sql`
      update handover_items i set status = x.status, reason = x.reason, errcode = x.errcode, locked_until = null,
        sent_at = case when x.status = 'pending' then i.sent_at else ${now.toISOString()}::timestamptz end,
        available_at = coalesce(x.available_at, i.available_at),
        final_at = case when x.final then ${now.toISOString()}::timestamptz else null end,
        attempts = case when x.status = 'pending' then 0 else i.attempts end
      from jsonb_to_recordset(${jsonRows(rows)}) as x(id bigint, status text, reason text, errcode int, available_at timestamptz, final boolean)
      -- The id list lets the planner go by primary key rather than guess at the recordset.
      where i.id = any(${sql.param(rows.map((r) => r.id))}::bigint[]) and i.id = x.id and i.corp_id = ${corpId} and i.locked_by = ${owner}`);
    await finishIfDone(tx, corpId, planId, now, locale);
  });
}

/** For items of an uncertain earlier attempt: which ones WeCom already has (waiting or done). */
async function alreadyStarted(client: WeComClient, kind: 'onjob' | 'resigned', type: 'customer' | 'group', from: string, to: string, targets: string[]): Promise<Map<string, ItemStatus>> {
  const out = new Map<string, ItemStatus>();
  if (targets.length === 0) return out;
  if (type === 'customer') {
    const wanted = new Set(targets);
    for await (const s of transferStatuses(client, kind, from, to)) {
      if (wanted.has(s.external_userid) && (s.status === 1 || s.status === 2)) out.set(s.external_userid, 'waiting');
    }
  } else {
    for (const chatId of targets) {
      const g = await client.groupChats.get(chatId).catch(() => undefined);
      if (g?.owner === to) out.set(chatId, 'waiting');
    }
  }
  return out;
}

/** Every transfer_result row for a (handover, takeover) pair. */
export async function* transferStatuses(client: WeComClient, kind: 'onjob' | 'resigned', from: string, to: string) {
  let cursor = '';
  for (let page = 0; page < 10_000; page++) {
    const req = { handover_userid: from, takeover_userid: to, cursor };
    const res = kind === 'onjob' ? await client.transfers.transferResult(req) : await client.transfers.resignedTransferResult(req);
    yield* res.items;
    if (!res.nextCursor || res.nextCursor === cursor) return;
    cursor = res.nextCursor;
  }
}

/** Completes a confirmed plan once no item is open; exactly once (conditional update). */
export async function finishIfDone(tx: Executor, corpId: string, planId: number, now: Date, locale: Locale): Promise<boolean> {
  const done = await tx
    .update(handoverPlans)
    .set({ status: 'completed', finishedAt: now })
    .where(and(
      eq(handoverPlans.corpId, corpId), eq(handoverPlans.id, planId), eq(handoverPlans.status, 'confirmed'),
      sql`not exists (select 1 from handover_items i where i.corp_id = ${corpId} and i.plan_id = ${planId} and i.status in ('planned', 'pending', 'waiting'))`,
    ))
    .returning({ id: handoverPlans.id });
  if (done.length === 0) return false;
  await notifyCompletion(tx, corpId, planId, locale);
  return true;
}
