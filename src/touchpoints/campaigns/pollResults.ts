import { and, eq, sql } from 'drizzle-orm';
import { jsonRows } from '../../db/bulk';
import { rowsOf, type Db } from '../../db/connection';
import { corpScope } from '../../db/scope';
import { sqlTime } from '../../db/time';
import { workQueue } from '../../db/workRow';
import { errorMessage } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { errcodeOf, isTransient, isWeComError, type WeComClient } from '../../wecom/client';
import { settleRunsOf } from './campaigns';
import type { CampaignSettings } from './settings';
import { campaignBatches } from './schema';

export interface PollDeps {
  db: Db;
  client: WeComClient;
  corpId: string;
  owner: string;
  settings: CampaignSettings;
  log?: Logger;
  /** Batches looked at per cycle. */
  limit?: number;
  /** How long a claim is ours: a poll is a few paged reads. */
  leaseSeconds?: number;
}

/** Batches WeCom has (a msgid) whose recipients' results are still awaited. A msgid WeCom forgot ends `unknown`, not dead. */
export const campaignResultsQueue = workQueue({ name: 'campaign_results', table: 'campaign_batches', claimable: ['waiting'], dead: null });

type BatchRow = typeof campaignBatches.$inferSelect;

/**
 * Failed polls in a row after which a msgid WeCom refuses to read is given up
 * as `unknown`: WeCom forgot it (a reset test corp, a task deleted in the
 * admin console) or never had it, and asking again changes nothing. With the
 * doubling backoff below that is about a day of asking.
 */
export const MAX_POLL_FAILURES = 12;
/** Longest wait between two polls of a batch whose polls fail (the backoff doubles from the results poll interval up to this). */
export const POLL_BACKOFF_CAP_S = 3 * 3600;

/** get_groupmsg_send_result status → delivery status (§4.10): 1 sent, 2 not a friend, 3 over WeCom's receive limit; 0 still waits. */
const RESULT_STATUS: Record<number, 'sent' | 'not_friend' | 'over_limit' | undefined> = { 1: 'sent', 2: 'not_friend', 3: 'over_limit' };

/**
 * Polls due `waiting` batches (claimed under a lease) to final per-recipient
 * statuses: whether the sender confirmed (get_groupmsg_task), then every
 * recipient's result (get_groupmsg_send_result, paged). A batch is final when
 * no recipient waits; when the confirmation window closes first, the task is
 * cancelled in WeCom (a late send would go unrecorded) and the rest recorded
 * unsent. A cancelled campaign's batches are read once more, then cancelled.
 * Failed polls back off; a msgid WeCom keeps refusing ends `unknown` (pollFailed).
 */
export async function pollResultsOnce(d: PollDeps, now: Date): Promise<number> {
  const claimed = await campaignResultsQueue.claim(d.db, corpScope(d.corpId), {
    owner: d.owner, limit: d.limit ?? 10, leaseSeconds: d.leaseSeconds ?? 300, now,
    where: sql`exists (select 1 from campaigns c where c.corp_id = campaign_batches.corp_id and c.id = campaign_batches.campaign_id)`,
  });
  for (const c of claimed) {
    const [b] = await d.db.select().from(campaignBatches).where(and(eq(campaignBatches.corpId, d.corpId), eq(campaignBatches.id, c.id)));
    if (!b?.msgid) continue;
    const [campaign] = rowsOf<{ status: string }>(await d.db.execute(sql`select status from campaigns where corp_id = ${d.corpId} and id = ${b.campaignId}`));
    try {
      await pollBatch(d, b, campaign?.status === 'cancelled', now);
    } catch (err) {
      await pollFailed(d, b, err, now);
    }
    await settleRunsOf(d.db, d.corpId, b.campaignId, now, b.runId);
  }
  return claimed.length;
}

/**
 * A poll that did not get through: try again after a capped, doubling wait
 * (computed in SQL from the row's own failure count). A definite refusal
 * (WeCom answered an errcode that is neither transient nor a rate limit —
 * an unknown msgid is answered that way) after MAX_POLL_FAILURES failures in
 * a row settles the batch `unknown`, its waiting recipients with it, so the
 * stats show it and nobody polls it forever.
 */
async function pollFailed(d: PollDeps, b: BatchRow, err: unknown, now: Date): Promise<void> {
  const message = errorMessage(err).slice(0, 2000);
  const refused = isWeComError(err) && !isTransient(err) && err.kind !== 'rate_limited';
  const at = now.toISOString();
  const settled = await d.db.transaction(async (tx) => {
    const [row] = rowsOf<{ status: string; poll_failures: number }>(await tx.execute(sql`
      update campaign_batches set locked_until = null, last_error = ${message}, poll_failures = poll_failures + 1,
        status = case when ${refused} and poll_failures + 1 >= ${MAX_POLL_FAILURES}::int then 'unknown' else status end,
        final_at = case when ${refused} and poll_failures + 1 >= ${MAX_POLL_FAILURES}::int then ${at}::timestamptz else final_at end,
        available_at = ${sqlTime(now)} + make_interval(secs => least(${POLL_BACKOFF_CAP_S}::float8,
          ${d.settings.resultsPollMs / 1000}::float8 * power(2, least(poll_failures, 30))))
      where id = ${b.id} and corp_id = ${d.corpId} and locked_by = ${d.owner} and status = 'waiting'
      returning status, poll_failures`));
    if (row?.status !== 'unknown') return row;
    await tx.execute(sql`update campaign_deliveries set status = 'unknown', reason = 'msgid_unknown', final_at = ${at}::timestamptz
      where corp_id = ${b.corpId} and run_id = ${b.runId}::bigint and sender = ${b.sender} and batch_no = ${b.batchNo}::int and status = 'dispatched'`);
    return row;
  });
  const ctx = { batchId: b.id, campaignId: b.campaignId, msgid: b.msgid, errcode: errcodeOf(err), failures: settled?.poll_failures };
  if (settled?.status === 'unknown') d.log?.warn(ctx, 'campaign results: WeCom no longer knows this msgid; batch settled as unknown');
  else d.log?.info({ ...ctx, err: { message } }, 'campaign results poll failed; backing off');
}

async function pollBatch(d: PollDeps, b: BatchRow, cancelled: boolean, now: Date): Promise<void> {
  const { db, client } = d;
  const msgid = b.msgid!;
  let senderSentAt: Date | null = b.senderSentAt;
  if (!senderSentAt) {
    let cursor = '';
    for (let page = 0; page < 1000; page++) {
      const res = await client.messages.getGroupmsgTask({ msgid, limit: 1000, cursor });
      const mine = res.items.find((t) => t.userid === b.sender);
      if (mine?.status === 2) senderSentAt = new Date((mine.send_time ?? Math.floor(now.getTime() / 1000)) * 1000);
      if (mine || !res.nextCursor || res.nextCursor === cursor) break;
      cursor = res.nextCursor;
    }
  }
  // Recipients have results only once the sender sent; a cancelled campaign reads them once more before cancelling.
  if (senderSentAt || cancelled) await applySendResults(d, b, msgid);

  const [{ waiting }] = rowsOf<{ waiting: number }>(await db.execute(sql`
    select count(*)::int as waiting from campaign_deliveries
    where corp_id = ${b.corpId} and run_id = ${b.runId}::bigint and sender = ${b.sender} and batch_no = ${b.batchNo}::int and status = 'dispatched'`)) as [{ waiting: number }];
  const windowClosed = !!b.answeredAt && now.getTime() - b.answeredAt.getTime() >= d.settings.confirmWindowMs;
  const at = now.toISOString();
  if (waiting > 0 && (cancelled || windowClosed)) {
    try {
      await client.messages.cancelGroupmsgSend(msgid);
    } catch (err) {
      // Unanswered: cancel again next round. Refused (already sent, already cancelled): nothing left to stop.
      if (!isWeComError(err) || isTransient(err) || err.kind === 'rate_limited') throw err;
    }
  }
  await db.transaction(async (tx) => {
    if (waiting > 0 && (cancelled || windowClosed)) {
      await tx.execute(sql`update campaign_deliveries set status = ${cancelled ? 'cancelled' : 'unsent'},
          reason = ${cancelled ? 'campaign_cancelled' : 'not_confirmed'}, final_at = ${at}::timestamptz
        where corp_id = ${b.corpId} and run_id = ${b.runId}::bigint and sender = ${b.sender} and batch_no = ${b.batchNo}::int and status = 'dispatched'`);
    }
    const final = waiting === 0 || cancelled || windowClosed;
    // Recorded while the batch is still ours, lease run out or not: what WeCom answered is kept.
    await campaignResultsQueue.settle(tx, corpScope(d.corpId), b.id, d.owner, {
      status: final ? (cancelled && waiting > 0 ? 'cancelled' : 'done') : 'waiting',
      set: sql`sender_sent_at = ${senderSentAt ? senderSentAt.toISOString() : null}::timestamptz,
        final_at = ${final ? at : null}::timestamptz, last_error = null, poll_failures = 0,
        available_at = ${sqlTime(now)} + make_interval(secs => ${d.settings.resultsPollMs / 1000})`,
      whileLeased: false,
    });
  });
}

/** Every page of one sender's per-recipient results, applied to the deliveries still waiting (one statement per page). */
async function applySendResults(d: PollDeps, b: BatchRow, msgid: string): Promise<void> {
  let cursor = '';
  for (let page = 0; page < 100_000; page++) {
    const res = await d.client.messages.getGroupmsgSendResult({ msgid, userid: b.sender, limit: 1000, cursor });
    const rows = res.items.flatMap((r) => {
      const status = RESULT_STATUS[r.status];
      const id = r.external_userid ?? r.chat_id;
      if (!status || !id) return [];
      return [{ recipient_id: id, status, sent_at: status === 'sent' && r.send_time ? new Date(r.send_time * 1000).toISOString() : null }];
    });
    if (rows.length) {
      await d.db.execute(sql`
        update campaign_deliveries dl set status = x.status, sent_at = x.sent_at, final_at = coalesce(x.sent_at, now())
        from jsonb_to_recordset(${jsonRows(rows)}) as x(recipient_id text, status text, sent_at timestamptz)
        where dl.corp_id = ${b.corpId} and dl.run_id = ${b.runId}::bigint and dl.recipient_id = x.recipient_id
          and dl.sender = ${b.sender} and dl.batch_no = ${b.batchNo}::int and dl.status = 'dispatched'`);
    }
    if (!res.nextCursor || res.nextCursor === cursor) return;
    cursor = res.nextCursor;
  }
}
