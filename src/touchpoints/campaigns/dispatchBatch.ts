import { and, eq, sql } from 'drizzle-orm';
import { textArray } from '../../db/bulk';
import { rowsOf, type Db, type Executor } from '../../db/connection';
import { corpScope } from '../../db/scope';
import { sqlTime } from '../../db/time';
import { LEASE_FREE, workQueue } from '../../db/workRow';
import { displayNames } from '../../ledger';
import { AppError, errorMessage } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { appTexts, enqueueAppMessage, type CampaignSuggestion } from '../../notify';
import { appErrorCode, errcodeOf, isTransient, isWeComError, type Attachment, type WeComClient } from '../../wecom/client';
import { getTemplate, isCustomerVariable, renderTemplate, renderVarsFor, templateVariables, wecomAttachments } from '../content';
import { settleRunsOf } from './campaigns';
import type { Content } from './definition';
import { findSentTask } from './findSentTask';
import { quietUntil } from './schedule';
import { TASK_CUSTOMERS_PER_MESSAGE, type CampaignSettings } from './settings';
import { campaignBatches, type CampaignKind } from './schema';

export interface DispatchDeps {
  db: Db;
  client: WeComClient;
  corpId: string;
  /** The claimer id written into leases. */
  owner: string;
  settings: CampaignSettings;
  log?: Logger;
  /** Must outlast one add_msg_template call (the client's timeout) by far: a reclaim during a live call could resend. */
  leaseSeconds?: number;
  /** A batch refused for load or configuration is given up (dead) after this many claims. */
  maxAttempts?: number;
  /** First wait before an unsure batch is looked up (doubling, capped at 10 min): WeCom lists a new task after a moment. */
  unsureDelaySeconds?: number;
}

type BatchRow = typeof campaignBatches.$inferSelect;

/** Batches to hand to WeCom: `pending` (never called) and `sending` (a call whose answer was never recorded). */
export const campaignDispatchQueue = workQueue({ name: 'campaign_dispatch', table: 'campaign_batches', claimable: ['pending', 'sending'] });

interface Claimed {
  batch: BatchRow;
  /** The batch's status before this claim: 'sending' means an earlier call may have reached WeCom. */
  prev: 'pending' | 'sending';
  kind: CampaignKind;
  campaignStatus: string;
  campaignName: string;
  content: Content;
}

/** Seconds before an unsure batch (outcome unknown) is looked up again: base, 2×base … capped at 10 min. */
const unsureBackoffS = (d: DispatchDeps, attempts: number) => Math.min(600, (d.unsureDelaySeconds ?? 30) * 2 ** Math.max(0, attempts - 1));

/**
 * The dispatcher's cycle: claims one batch (FOR UPDATE SKIP LOCKED under a
 * lease) and hands it to WeCom exactly once. The batch is marked `sending`
 * (committed) right before add_msg_template and its msgid / fail_list
 * recorded right after. A batch claimed while already `sending` had a call
 * whose answer was never recorded (crash, timeout): it is looked up in WeCom
 * first (findSentTask) and sent only if WeCom has no task for it. Calls that
 * certainly did not reach WeCom (rate limit) go back to pending; calls with
 * an unknown outcome stay `sending` for the next lookup. Returns batches
 * handled (0 = nothing due, or quiet hours).
 */
export async function dispatchNextBatch(d: DispatchDeps, now: Date): Promise<number> {
  const until = quietUntil(now, d.settings.timezone, d.settings.quietHours);
  if (until) {
    await deferBatches(d.db, d.corpId, until);
    return 0;
  }
  const claimed = await claimBatch(d, d.leaseSeconds ?? 300, now);
  if (!claimed) return 0;
  try {
    if (claimed.kind === 'rep_task') await dispatchTask(d, claimed, now);
    else await dispatchPush(d, claimed, now);
  } finally {
    await settleRunsOf(d.db, d.corpId, claimed.batch.campaignId, now, claimed.batch.runId);
  }
  return 1;
}

/** Quiet hours: batches due now wait until they end (not dropped); the deferral is recorded for stats. */
async function deferBatches(db: Db, corpId: string, until: Date): Promise<void> {
  await db.execute(sql`
    update campaign_batches set available_at = ${until.toISOString()}::timestamptz,
      deferred_until = case when status = 'pending' then ${until.toISOString()}::timestamptz else deferred_until end
    where corp_id = ${corpId} and status in ('pending', 'sending') and available_at < ${until.toISOString()}::timestamptz
      and ${LEASE_FREE}`);
}

async function claimBatch(d: DispatchDeps, leaseSeconds: number, now: Date): Promise<Claimed | undefined> {
  const [claimed] = await campaignDispatchQueue.claim(d.db, corpScope(d.corpId), {
    owner: d.owner, limit: 1, leaseSeconds, now,
    // An unsure batch is resolved whatever its campaign's state; new sends only for live campaigns.
    where: sql`exists (select 1 from campaigns c where c.corp_id = campaign_batches.corp_id and c.id = campaign_batches.campaign_id
      and (campaign_batches.status = 'sending' or c.status in ('active', 'completed')))`,
  });
  if (!claimed) return undefined;
  const [batch] = await d.db.select().from(campaignBatches).where(and(eq(campaignBatches.corpId, d.corpId), eq(campaignBatches.id, claimed.id)));
  const [c] = rowsOf<{ kind: CampaignKind; status: string; name: string; content: Content }>(await d.db.execute(sql`
    select kind, status, name, content from campaigns where corp_id = ${d.corpId} and id = ${batch!.campaignId}`));
  return {
    batch: batch!, prev: claimed.status as Claimed['prev'], kind: c!.kind, campaignStatus: c!.status, campaignName: c!.name, content: c!.content,
  };
}

async function recipientsOf(ex: Executor, b: BatchRow): Promise<string[]> {
  return rowsOf<{ recipient_id: string }>(await ex.execute(sql`
    select recipient_id from campaign_deliveries
    where corp_id = ${b.corpId} and run_id = ${b.runId}::bigint and sender = ${b.sender} and batch_no = ${b.batchNo}::int and status = 'planned'
    order by recipient_id`)).map((r) => r.recipient_id);
}

async function dispatchPush(d: DispatchDeps, c: Claimed, now: Date): Promise<void> {
  const { db, client, corpId, owner } = d;
  const b = c.batch;
  const chatType = c.kind === 'group_post' ? 'group' as const : 'single' as const;
  const recipients = await recipientsOf(db, b);
  if (recipients.length === 0) {
    await finishBatch(d, b.id, 'done', now);
    return;
  }
  // The content is rendered once, for the sender, and kept: a retry sends (and the lookup matches) the same text.
  let text = b.text;
  let attachments = b.attachments as Attachment[] | null;
  if (text === null) {
    try {
      const r = await renderForSender(db, client, corpId, c.content, b.sender, now);
      text = r.text;
      attachments = r.attachments;
    } catch (err) {
      const refused = (err instanceof AppError && err.status < 500) || (isWeComError(err) && !isTransient(err) && err.kind !== 'rate_limited');
      if (refused) {
        await refuseBatch(d, b, errcodeOf(err) ?? null, `content: ${errorMessage(err)}`, now);
      } else {
        await retryLater(d, b.id, 'pending', errorMessage(err), 30, now);
      }
      return;
    }
    await db.update(campaignBatches).set({ text, attachments })
      .where(and(eq(campaignBatches.corpId, corpId), eq(campaignBatches.id, b.id), eq(campaignBatches.lockedBy, owner)));
  }

  if (c.prev === 'sending') {
    let found: string | undefined;
    try {
      found = await findSentTask(db, client, {
        corpId, chatType, sender: b.sender, text: text ?? '', sendingAt: b.sendingAt ?? now, recipients: new Set(recipients),
      }, now);
    } catch (err) {
      // WeCom did not answer the lookup (41063 still dispatching, network): look again later, never resend blind.
      await retryLater(d, b.id, 'sending', `lookup: ${errorMessage(err)}`, unsureBackoffS(d, b.attempts), now);
      return;
    }
    if (found) {
      d.log?.info({ batchId: b.id, msgid: found }, 'crash lookup: WeCom already has this batch; recorded, not resent');
      await recordAccepted(d, b, found, [], 'lookup', now);
      return;
    }
    // Not in WeCom: safe to send — unless the campaign was cancelled or paused meanwhile (the mark below checks).
  }

  // Recorded before the call: from here on a crash leaves `sending`, which the next claim looks up.
  // The campaign is read again in the same statement: a cancel or pause since the claim stops the send here.
  const marked = await db.execute(sql`
    update campaign_batches b set status = 'sending', sending_at = coalesce(b.sending_at, ${sqlTime(now)})
    from campaigns c
    where b.id = ${b.id} and b.corp_id = ${corpId} and c.id = b.campaign_id and c.status in ('active', 'completed')
      and b.locked_by = ${owner} and b.locked_until > now() and b.msgid is null and b.status in ('pending', 'sending')
    returning b.id`);
  if (rowsOf(marked).length === 0) {
    await notSent(d, b, now);
    return;
  }

  let res: { msgid: string; fail_list: string[] };
  try {
    res = await client.messages.addMsgTemplate({
      chat_type: chatType,
      ...(chatType === 'single' ? { external_userid: recipients } : { chat_id_list: recipients }),
      sender: b.sender,
      ...(text ? { text: { content: text } } : {}),
      ...(attachments?.length ? { attachments } : {}),
    });
  } catch (err) {
    await callFailed(d, b, err, now);
    return;
  }
  await recordAccepted(d, b, res.msgid, res.fail_list, 'call', now);
}

/** The batch was not sent after all: its campaign was cancelled (the batch ends) or paused (it waits), or our lease is gone. */
async function notSent(d: DispatchDeps, b: BatchRow, now: Date): Promise<void> {
  const [row] = rowsOf<{ status: string }>(await d.db.execute(sql`select c.status from campaigns c where c.corp_id = ${d.corpId} and c.id = ${b.campaignId}`));
  if (row?.status === 'cancelled') {
    await d.db.transaction(async (tx) => {
      const done = await campaignDispatchQueue.settle(tx, corpScope(d.corpId), b.id, d.owner, {
        status: 'cancelled', set: sql`final_at = ${sqlTime(now)}`, where: sql`msgid is null`, whileLeased: false,
      });
      if (done) await failDeliveries(tx, b, 'cancelled', 'campaign_cancelled', now);
    });
  } else {
    await retryLater(d, b.id, 'pending', `not sent: campaign ${row?.status ?? 'gone'}`, 60, now);
  }
}

/** After add_msg_template failed: back to pending (certainly not created), stay sending (maybe created), or refused. */
async function callFailed(d: DispatchDeps, b: BatchRow, err: unknown, now: Date): Promise<void> {
  const errcode = errcodeOf(err);
  const message = errorMessage(err);
  d.log?.warn({ batchId: b.id, errcode }, 'add_msg_template failed');
  if (isWeComError(err) && (err.kind === 'rate_limited' || appErrorCode(err) === 'wecom_permission')) {
    // Refused before anything was created (load or our configuration): try again later, give up after a while.
    if (b.attempts >= (d.maxAttempts ?? 10)) {
      await refuseBatch(d, b, errcode ?? null, message, now, 'dead');
      return;
    }
    await retryLater(d, b.id, 'pending', message, err.kind === 'rate_limited' ? 60 : Math.min(3600, 30 * 2 ** (b.attempts - 1)), now);
    return;
  }
  if (!isWeComError(err) || isTransient(err)) {
    // Network, timeout, 5xx, -1: WeCom may have created the task. The next claim looks it up before any resend.
    await retryLater(d, b.id, 'sending', message, unsureBackoffS(d, b.attempts), now);
    return;
  }
  // A definite refusal: 41048 nobody sendable; others (content, sender) refuse the whole batch.
  await refuseBatch(d, b, errcode ?? null, message, now);
}

/** Not sent yet (pending) or maybe sent (sending: looked up first): claimable again after `seconds`. */
async function retryLater(d: DispatchDeps, id: number, status: 'pending' | 'sending', error: string, seconds: number, now: Date): Promise<void> {
  await campaignDispatchQueue.retry(d.db, corpScope(d.corpId), [id], d.owner, {
    status, error, availableAt: sql`${sqlTime(now)} + make_interval(secs => ${seconds})`, where: sql`msgid is null`,
  });
}

/** WeCom refused the whole batch: its deliveries fail with the reason (41048: nobody sendable). */
async function refuseBatch(d: DispatchDeps, b: BatchRow, errcode: number | null, error: string, now: Date, status: 'failed' | 'dead' = 'failed'): Promise<void> {
  await d.db.transaction(async (tx) => {
    const rows = await tx.execute(sql`
      update campaign_batches set status = ${status}, errcode = ${errcode}, last_error = ${error.slice(0, 2000)}, locked_until = null,
        final_at = ${now.toISOString()}::timestamptz, answered_at = ${now.toISOString()}::timestamptz,
        dead_at = case when ${status} = 'dead' then ${now.toISOString()}::timestamptz end
      where id = ${b.id} and corp_id = ${d.corpId} and msgid is null and status in ('pending', 'sending') returning id`);
    if (rowsOf(rows).length === 0) return;
    await failDeliveries(tx, b, 'failed', errcode === 41048 ? 'not_sendable' : 'batch_refused', now);
  });
}

async function failDeliveries(ex: Executor, b: BatchRow, status: 'failed' | 'cancelled', reason: string, now: Date): Promise<void> {
  await ex.execute(sql`
    update campaign_deliveries set status = ${status}, reason = ${reason}, final_at = ${now.toISOString()}::timestamptz
    where corp_id = ${b.corpId} and run_id = ${b.runId}::bigint and sender = ${b.sender} and batch_no = ${b.batchNo}::int and status = 'planned'`);
}

async function finishBatch(d: DispatchDeps, id: number, status: 'done' | 'cancelled', now: Date): Promise<void> {
  await campaignDispatchQueue.settle(d.db, corpScope(d.corpId), id, d.owner, { status, set: sql`final_at = ${sqlTime(now)}`, whileLeased: false });
}

/**
 * WeCom has the task: msgid and fail_list recorded with the deliveries in
 * one transaction. Keyed on "no msgid yet" rather than on the lease, so an
 * answer is never thrown away; a second writer (which cannot happen while
 * the lease outlasts a call) would find it recorded and change nothing.
 * A msgid is unique per corp (campaign_batches_msgid): one another batch
 * already recorded is refused by the database and the batch parked
 * (refuseDuplicateMsgid) instead of two batches sharing one task's results.
 */
async function recordAccepted(d: DispatchDeps, b: BatchRow, msgid: string, failList: string[], source: 'call' | 'lookup', now: Date): Promise<void> {
  try {
    await d.db.transaction(async (tx) => {
      const rows = await tx.execute(sql`
        update campaign_batches set status = 'waiting', msgid = ${msgid}, msgid_source = ${source}, fail_count = ${failList.length}::int,
          answered_at = ${now.toISOString()}::timestamptz, locked_until = null, last_error = null,
          available_at = ${new Date(now.getTime() + d.settings.resultsPollMs).toISOString()}::timestamptz
        where id = ${b.id} and corp_id = ${d.corpId} and msgid is null and status in ('pending', 'sending') returning id`);
      if (rowsOf(rows).length === 0) return;
      await tx.execute(sql`
        update campaign_deliveries set
          status = case when recipient_id = any(${textArray(failList)}) then 'failed' else 'dispatched' end,
          reason = case when recipient_id = any(${textArray(failList)}) then 'not_sendable' end,
          final_at = case when recipient_id = any(${textArray(failList)}) then ${now.toISOString()}::timestamptz end
        where corp_id = ${b.corpId} and run_id = ${b.runId}::bigint and sender = ${b.sender} and batch_no = ${b.batchNo}::int and status = 'planned'`);
    });
  } catch (err) {
    if (!isUniqueViolation(err, 'campaign_batches_msgid')) throw err;
    await refuseDuplicateMsgid(d, b, msgid, source, now);
  }
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  for (let e = err as { code?: unknown; constraint?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === '23505') return e.constraint === undefined || e.constraint === constraint;
  }
  return false;
}

/**
 * WeCom answered (or the lookup matched) a msgid another of our batches
 * already holds — a reset test corp reissuing ids, or a platform fault. The
 * two tasks' results could not be told apart, so this batch is parked dead
 * with the reason, its recipients failed `duplicate_msgid`, and an error
 * logged for an operator: never silently merged into the other batch.
 */
async function refuseDuplicateMsgid(d: DispatchDeps, b: BatchRow, msgid: string, source: 'call' | 'lookup', now: Date): Promise<void> {
  const [holder] = rowsOf<{ id: string; campaign_id: string }>(await d.db.execute(sql`
    select id, campaign_id from campaign_batches where corp_id = ${d.corpId} and msgid = ${msgid} and id <> ${b.id} limit 1`));
  const error = `duplicate_msgid: WeCom answered msgid ${msgid} (${source}), which batch #${holder?.id ?? '?'} of campaign #${holder?.campaign_id ?? '?'} `
    + 'already recorded; the task was created but its results cannot be told apart';
  d.log?.error({ batchId: b.id, campaignId: b.campaignId, msgid, holderBatchId: holder ? Number(holder.id) : null }, 'campaign dispatch: WeCom answered a msgid another batch holds; batch parked');
  await d.db.transaction(async (tx) => {
    const at = now.toISOString();
    const rows = await tx.execute(sql`
      update campaign_batches set status = 'dead', last_error = ${error}, locked_until = null,
        answered_at = ${at}::timestamptz, final_at = ${at}::timestamptz, dead_at = ${at}::timestamptz
      where id = ${b.id} and corp_id = ${d.corpId} and msgid is null and status in ('pending', 'sending') returning id`);
    if (rowsOf(rows).length) await failDeliveries(tx, b, 'failed', 'duplicate_msgid', now);
  });
}

/** The content of a push for one sender: rep variables filled, media as WeCom media_ids. */
export async function renderForSender(ex: Executor, client: WeComClient, corpId: string, content: Content, sender: string, now: Date): Promise<{ text: string; attachments: Attachment[] }> {
  const tpl = await contentTemplate(ex, corpId, content);
  // The template may have changed since the campaign was scheduled: never send "Dear ," to a million people.
  const perCustomer = templateVariables(tpl).find(isCustomerVariable);
  if (perCustomer) throw new AppError('invalid_content', `the content now uses {{${perCustomer}}}, which differs per customer: not sent`);
  const r = renderTemplate(tpl, await renderVarsFor(ex, corpId, { userId: sender }));
  return { text: r.text, attachments: await wecomAttachments(ex, client, corpId, r.attachments, now) };
}

async function contentTemplate(ex: Executor, corpId: string, content: Content) {
  if (content.type === 'inline') return { text: content.text, attachments: content.attachments };
  if (content.type === 'template') {
    const t = await getTemplate(ex, corpId, content.templateId);
    if (!t) throw new AppError('invalid_content', `template ${content.templateId} no longer exists`);
    return { text: t.text, attachments: t.attachments };
  }
  return { text: '', attachments: [] };
}

// ---------------------------------------------------------------- rep tasks

/**
 * A rep task batch: ONE app message to the rep listing whom to contact,
 * queued in the notify outbox in the same transaction that marks the
 * deliveries notified (its source key makes it once per batch).
 */
async function dispatchTask(d: DispatchDeps, c: Claimed, now: Date): Promise<void> {
  const { db, corpId, owner } = d;
  const b = c.batch;
  if (c.campaignStatus === 'cancelled') {
    await failDeliveries(db, b, 'cancelled', 'campaign_cancelled', now);
    await finishBatch(d, b.id, 'cancelled', now);
    return;
  }
  const recipients = await recipientsOf(db, b);
  const names = await displayNames(db, corpId, recipients.slice(0, TASK_CUSTOMERS_PER_MESSAGE), []);
  const suggestion = c.content.type === 'none' ? undefined : await suggestionOf(db, corpId, c.content);
  const content = appTexts(d.settings.locale).campaignTask({
    campaign: c.campaignName, campaignId: b.campaignId, customers: recipients.length,
    listed: recipients.slice(0, TASK_CUSTOMERS_PER_MESSAGE).map((id) => names.get(id) || id), suggestion,
  });
  await db.transaction(async (tx) => {
    const done = await campaignDispatchQueue.settle(tx, corpScope(corpId), b.id, owner, {
      set: sql`text = ${content}, answered_at = ${sqlTime(now)}, final_at = ${sqlTime(now)}`, whileLeased: false,
    });
    if (!done) return;
    await enqueueAppMessage(tx, corpId, {
      toUserIds: [b.sender], content, purpose: 'campaign_task', sourceKey: `campaign-task:${b.id}`,
      detail: { campaignId: b.campaignId, runId: b.runId, batchId: b.id, customers: recipients.length },
    });
    await tx.execute(sql`update campaign_deliveries set status = 'notified', final_at = ${now.toISOString()}::timestamptz
      where corp_id = ${b.corpId} and run_id = ${b.runId}::bigint and sender = ${b.sender} and batch_no = ${b.batchNo}::int and status = 'planned'`);
  });
}

async function suggestionOf(ex: Executor, corpId: string, content: Exclude<Content, { type: 'none' }>): Promise<CampaignSuggestion | undefined> {
  if (content.type === 'inline') return { type: 'inline', text: content.text };
  const t = await getTemplate(ex, corpId, content.templateId);
  return t ? { type: 'template', id: t.id, name: t.name, text: t.text } : undefined;
}
